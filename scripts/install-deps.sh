#!/usr/bin/env bash
# Installs the Debian packages Hydrant builds and tests with; a no-op when all are present.
# `--test` adds what only the tests need (a browser for the web-page tests).
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsimdjson-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  libssl-dev libcurl4-openssl-dev libisal-dev zlib1g-dev libpq-dev
  libgtest-dev libgmock-dev libbenchmark-dev libpcre2-dev libzip-dev libjq-dev libnats-dev
  python3-pytest python3-prometheus-client
  libsnappy-dev python3-snappy unzip
  libhowardhinnant-date-dev tzdata
  clang libclang-rt-14-dev
)
if [[ ${1:-} == --test ]]; then
  PACKAGES+=(chromium)    # the browser producer test (tests/e2e/test_cors.py)
  PACKAGES+=(postgresql)  # the Redshift destination's database (tests/e2e/test_redshift.py)
  PACKAGES+=(nats-server) # the cluster mode's NATS JetStream servers (tests/e2e/test_cluster.py)
fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
