#!/bin/bash
# bench/ab.sh BIN_A BIN_B [ROUNDS]: two hydrant binaries on the same loads, alternating, so a
# before/after is measured in the same hour of a VM whose disk and cores vary from hour to hour.
# Each load gets a fresh server and data dir (DATA_PARENT, /tmp) and one stream with 5 MiB /
# 300 s buffering; hydrant-loadgen (BUILD_DIR, build) runs 6 s after 1 s of warmup. Prints one
# line per load and binary: records/s, requests/s, p50 and p99 ms, server cores.
set -euo pipefail
A=$1 B=$2 ROUNDS=${3:-2}
LOADGEN=${BUILD_DIR:-$(dirname "$0")/../build}/hydrant-loadgen
LOADS=("--records-per-request 500 --record-size 100 --connections 1"
       "--records-per-request 500 --record-size 1024 --connections 1"
       "--op PutRecord --record-size 1024")
run() {
  local bin=$1 load=$2 dir port pid
  dir=$(mktemp -d "${DATA_PARENT:-/tmp}/hydrant-ab-XXXXXX")
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$bin" serve --data-dir "$dir" --listen "127.0.0.1:$port" >"$dir.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  "$LOADGEN" --endpoint "http://127.0.0.1:$port" --stream ab --create --duration 1 >/dev/null
  # shellcheck disable=SC2086
  "$LOADGEN" --endpoint "http://127.0.0.1:$port" --stream ab $load --duration 6 --warmup 1 \
      --server-pid "$pid" --json | tail -1 | python3 -c '
import json, sys
r = json.load(sys.stdin)
records, requests, p50, p99 = r["records_per_s"], r["requests_per_s"], r["latency_ms"]["p50"], r["latency_ms"]["p99"]
cores = r["server_cpu_s"] / r["elapsed_s"]
print(f"{records:>9,} rec/s {requests:>9,.1f} req/s p50 {p50:.2f} p99 {p99:.2f} ms, server {cores:.2f} cores")'
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir" "$dir.log"
}
for round in $(seq "$ROUNDS"); do
  for load in "${LOADS[@]}"; do
    for bin in "$A" "$B"; do
      echo "round $round | $load | $bin | $(run "$bin" "$load")"
    done
  done
done
