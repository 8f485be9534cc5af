#!/usr/bin/env bash
# Runs the benchmark scenarios against a fresh server and prints the median of each figure.
#
# For each scenario: start the server on a new data dir and a free port, run hydrant-loadgen
# REPEATS times at the maximum rate ("peak"), then REPEATS times open-loop at LATENCY_FRACTION of
# the median peak request rate ("latency"), stop the server. See bench/README.md.
#
# Environment (all optional):
#   TARGET=hydrant|moto   server to measure (moto: python3 -m moto.server, for comparison)
#   BUILD_DIR=build       where `hydrant` and `hydrant-loadgen` are built (Release)
#   SKIP_BUILD=1          use the binaries already in BUILD_DIR
#   DURATION=10 WARMUP=2  seconds measured / seconds sent first and not measured, per run
#   REPEATS=3 CONNECTIONS=16 LATENCY_FRACTION=0.5
#   ONLY=name,name        run only these scenarios
#   DATA_PARENT=/tmp      where the server's data dirs go (put it on the disk you mean to measure)
#   SERVER_ARGS="..."     extra arguments for `hydrant serve`
#   RESULTS=file.jsonl    also keep every run's JSON summary line (default: a temp file)
# Transformed streams (processors, Lambda functions) are measured by bench/transform.py.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${TARGET:-hydrant}
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
SKIP_BUILD=${SKIP_BUILD:-0}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
REPEATS=${REPEATS:-3}
CONNECTIONS=${CONNECTIONS:-16}
LATENCY_FRACTION=${LATENCY_FRACTION:-0.5}
ONLY=${ONLY:-}
DATA_PARENT=${DATA_PARENT:-${TMPDIR:-/tmp}}
SERVER_ARGS=${SERVER_ARGS:-}
RESULTS=${RESULTS:-$(mktemp "${TMPDIR:-/tmp}/hydrant-bench-XXXXXX.jsonl")}

# name|hydrant-loadgen options. Add a line to add a scenario.
SCENARIOS=(
  "batch-500x1KiB|--op PutRecordBatch --records-per-request 500 --record-size 1024"
  "batch-500x100B|--op PutRecordBatch --records-per-request 500 --record-size 100"
)

LOADGEN=$BUILD_DIR/hydrant-loadgen
SERVER_PID=""
DATA_DIR=""

log() { echo "run.sh: $*" >&2; }

stop_server() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
  [[ -n $DATA_DIR ]] && rm -rf "$DATA_DIR" "$DATA_DIR.log"
  DATA_DIR=""
}
trap stop_server EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server: sets SERVER_PID, PORT, DATA_DIR; returns when the server answers HTTP.
start_server() {
  PORT=$(free_port)
  DATA_DIR=$(mktemp -d "$DATA_PARENT/hydrant-bench-data-XXXXXX")
  local health
  case $TARGET in
    hydrant)
      # shellcheck disable=SC2086
      "$BUILD_DIR/hydrant" serve --listen "127.0.0.1:$PORT" --data-dir "$DATA_DIR" $SERVER_ARGS \
        >"$DATA_DIR.log" 2>&1 &
      health=/health ;;
    moto)
      python3 -m moto.server -p "$PORT" >"$DATA_DIR.log" 2>&1 &
      health=/ ;;
    *) log "unknown TARGET=$TARGET"; exit 2 ;;
  esac
  SERVER_PID=$!
  for _ in $(seq 300); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      log "server exited; its log:"; cat "$DATA_DIR.log" >&2; exit 1
    fi
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$health") == 200 ]] && return
    sleep 0.1
  done
  log "server not answering on port $PORT after 30 s"; exit 1
}

# summarize SCENARIO PHASE FILE: one tab-separated row of medians over FILE's JSON lines
# (nothing if it has none).
summarize() {
  python3 - "$@" <<'EOF'
import json, statistics, sys
scenario, phase, path = sys.argv[1:4]
runs = [json.loads(l) for l in open(path) if l.strip()]
if not runs:
    sys.exit(0)
def med(f):
    return statistics.median(f(r) for r in runs)
errors = sum(r["errors_total"] for r in runs)
row = [scenario, phase, f'{med(lambda r: r["target_rate"]):.1f}' if phase == "latency" else "max",
       f'{med(lambda r: r["requests_per_s"]):.1f}', f'{med(lambda r: r["records_per_s"]):.0f}',
       f'{med(lambda r: r["payload_mib_per_s"]):.2f}',
       f'{med(lambda r: r["latency_ms"]["p50"]):.2f}', f'{med(lambda r: r["latency_ms"]["p99"]):.2f}',
       f'{med(lambda r: r["latency_ms"]["p99.9"]):.2f}', f'{med(lambda r: r["latency_ms"]["max"]):.2f}',
       f'{med(lambda r: r.get("server_cpu_s", 0) / max(r["elapsed_s"], 1e-9)):.2f}',
       f'{med(lambda r: r["loadgen_cpu_s"] / max(r["elapsed_s"], 1e-9)):.2f}',
       str(errors)]
print("\t".join(row))
EOF
}

# brief FILE: the key figures of FILE's last JSON line, for progress messages.
brief() {
  python3 - "$1" <<'EOF'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
if not lines:
    print("no result")
else:
    r = json.loads(lines[-1])
    lat = r["latency_ms"]
    print(f'{r["requests_per_s"]} req/s, {r["payload_mib_per_s"]} MiB/s, p50 {lat["p50"]} ms, '
          f'p99 {lat["p99"]} ms, errors {r["errors_total"]} {r["errors"] or ""}')
EOF
}

if [[ $SKIP_BUILD != 1 ]]; then
  targets=(hydrant-loadgen)
  [[ $TARGET == hydrant ]] && targets+=(hydrant)
  log "building ${targets[*]} in $BUILD_DIR (Release)"
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  ninja -C "$BUILD_DIR" -j2 "${targets[@]}" >/dev/null
fi

echo "# hydrant bench: target=$TARGET $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)," \
  "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores," \
  "kernel $(uname -r), data dir fs: $(df -T "$DATA_PARENT" | awk 'NR==2 {print $2}')," \
  "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# each run: ${DURATION} s after ${WARMUP} s warmup, ${CONNECTIONS} connections;" \
  "medians of $REPEATS runs; raw JSON lines: $RESULTS"

table=$(mktemp)
printf 'scenario\tphase\treq/s target\treq/s\trec/s\tMiB/s\tp50 ms\tp99 ms\tp99.9 ms\tmax ms\tserver cores\tloadgen cores\terrors\tserver VmHWM KiB\n' >"$table"
for entry in "${SCENARIOS[@]}"; do
  name=${entry%%|*}
  opts=${entry#*|}
  if [[ -n $ONLY && ",$ONLY," != *",$name,"* ]]; then continue; fi
  start_server
  log "$name: server pid $SERVER_PID on port $PORT"
  common=(--endpoint "http://127.0.0.1:$PORT" --stream "bench-$name" --create --verify --json
          --connections "$CONNECTIONS" --duration "$DURATION" --warmup "$WARMUP"
          --server-pid "$SERVER_PID")
  peak_lines=$(mktemp)
  for i in $(seq "$REPEATS"); do
    # shellcheck disable=SC2086
    "$LOADGEN" "${common[@]}" $opts | tee -a "$RESULTS" >>"$peak_lines" || true
    log "$name peak run $i: $(brief "$peak_lines")"
  done
  peak_rate=$(python3 -c 'import json, statistics, sys
rates = [json.loads(l)["requests_per_s"] for l in open(sys.argv[1]) if l.strip()]
print(statistics.median(rates) if rates else 0)' "$peak_lines")
  rate=$(python3 -c "print(round($peak_rate * $LATENCY_FRACTION, 1))")
  latency_lines=$(mktemp)
  if python3 -c "import sys; sys.exit(0 if $rate > 0 else 1)"; then
    for i in $(seq "$REPEATS"); do
      # shellcheck disable=SC2086
      "$LOADGEN" "${common[@]}" $opts --rate "$rate" | tee -a "$RESULTS" >>"$latency_lines" || true
      log "$name latency run $i: $(brief "$latency_lines")"
    done
  fi
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status")
  { summarize "$name" peak "$peak_lines"; summarize "$name" latency "$latency_lines"; } |
    sed "s/\$/\t$hwm/" >>"$table"
  rm -f "$peak_lines" "$latency_lines"
  stop_server
done
column -t -s $'\t' "$table"
rm -f "$table"
