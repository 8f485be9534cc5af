#!/bin/bash
# bench/read_back.sh BIN [ROUNDS]: how many bytes delivery reads back from the WAL for a backlog.
# A fresh server and one stream (5 MiB / 1 s buffering); hydrant-loadgen (BUILD_DIR, build)
# sends 2,000 requests of 500 × 1 KiB (1 GB, 16 connections) as fast as the server takes them,
# then the script waits until every byte is in the embedded store. Prints the WAL's read bytes
# (`hydrant_wal_read_cache_hit_bytes_total` + `_miss_` : from memory + from the disk) and the
# seconds from the first request to the last byte delivered. The log holds 1,042.7 MB.
set -euo pipefail
BIN=$1 ROUNDS=${2:-1}
LOADGEN=${BUILD_DIR:-$(dirname "$0")/../build}/hydrant-loadgen
DELIVERED=$((2001 * 500 * 1024))  # the 2,000 requests and --create's first one
metric() { curl -s "http://127.0.0.1:$port/metrics" | awk -v m="^$1" '$0 ~ m {s += $2} END {printf "%d", s}'; }
for _ in $(seq "$ROUNDS"); do
  dir=$(mktemp -d "${DATA_PARENT:-/tmp}/hydrant-ab-XXXXXX")
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$BIN" serve --data-dir "$dir" --listen "127.0.0.1:$port" >"$dir.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  "$LOADGEN" --endpoint "http://127.0.0.1:$port" --stream ab --create --buffer-seconds 1 \
      --record-size 1024 --requests 1 >/dev/null
  start=$(date +%s.%N)
  "$LOADGEN" --endpoint "http://127.0.0.1:$port" --stream ab --record-size 1024 --requests 2000 \
      --variants 16 >/dev/null
  for _ in $(seq 1200); do
    [ "$(metric firehose_delivery_to_s3_bytes_total)" -ge "$DELIVERED" ] && break
    sleep 0.25
  done
  end=$(date +%s.%N)
  hit=$(metric hydrant_wal_read_cache_hit_bytes_total)
  miss=$(metric hydrant_wal_read_cache_miss_bytes_total)
  python3 -c "print(f'read {($hit + $miss) / 1e6:,.1f} MB ({$miss / 1e6:,.1f} MB from the disk), delivered in {$end - $start:.2f} s')"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir" "$dir.log"
done
