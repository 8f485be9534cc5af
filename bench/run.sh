#!/usr/bin/env bash
# `make bench`: builds the benchmark binaries (Release) and runs the whole matrix (bench/matrix.py):
# ceilings, every ingest scenario on Hydrant, the same load on moto, the end-to-end scripts;
# writes bench/RESULTS.md (and bench/RESULTS.jsonl, every run's raw figures). See bench/README.md.
#
#   bench/run.sh                      # full: median of 3 runs each (~29 min on 2 cores)
#   QUICK=1 bench/run.sh              # a check of the harness in ~6 min; its figures mean nothing
#                                     # (written to $TMPDIR/hydrant-bench-quick/RESULTS.md)
#   SKIP_BUILD=1 ONLY=ceilings,batch-500x100B bench/run.sh
#
# Environment: BUILD_DIR (build), SKIP_BUILD=1, and matrix.py's: QUICK, DURATION, WARMUP, REPEATS,
# CONNECTIONS, ONLY, DATA_PARENT (the data dirs' parent: put it on the disk you mean to measure),
# OUT (bench/RESULTS.md), MOTO=0, SERVER_ARGS.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export BUILD_DIR=${BUILD_DIR:-$ROOT/build}
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  echo "run.sh: building the benchmark binaries in $BUILD_DIR (Release)" >&2
  [[ -f $BUILD_DIR/build.ninja ]] || cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  ninja -C "$BUILD_DIR" -j2 hydrant hydrant-loadgen hydrant-bench-http-ceiling hydrant-bench-parse >/dev/null
fi
if [[ $(grep -s CMAKE_BUILD_TYPE: "$BUILD_DIR/CMakeCache.txt" | cut -d= -f2) != Release ]]; then
  echo "run.sh: $BUILD_DIR is not a Release build; figures from it would mislead" >&2
  exit 2
fi
export BENCH_COMMAND="${QUICK:+QUICK=$QUICK }bench/run.sh"
exec python3 "$ROOT/bench/matrix.py"
