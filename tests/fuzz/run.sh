#!/usr/bin/env bash
# Runs the libFuzzer targets of a HYDRANT_FUZZ build: first replays every input under
# tests/fuzz/regressions/<target>/ (inputs that once crashed), then fuzzes each target for
# SECONDS from its committed corpus. Exits non-zero if any target crashes, leaks or hits UB.
#   tests/fuzz/run.sh <build-dir> <seconds-per-target> [target...]
# New interesting inputs go to <build-dir>/fuzz-corpus/<target>/ (kept between runs, not
# committed); crashing inputs to <build-dir>/fuzz-artifacts/<target>/.
set -uo pipefail
build_dir=${1:?usage: run.sh <build-dir> <seconds> [target...]}
seconds=${2:?usage: run.sh <build-dir> <seconds> [target...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
bin_dir=$build_dir/fuzz
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=()
  for f in "$here"/fuzz_*.cc; do targets+=("$(basename "$f" .cc)"); done
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for t in "${targets[@]}"; do
  bin=$bin_dir/$t
  [ -x "$bin" ] || { echo "missing $bin (build the fuzz_targets target)"; failed+=("$t"); continue; }
  log=$build_dir/fuzz-logs/$t.log
  mkdir -p "$build_dir/fuzz-corpus/$t" "$build_dir/fuzz-artifacts/$t" "$(dirname "$log")"
  regressions=("$here/regressions/$t"/*)
  if [ -e "${regressions[0]}" ]; then
    if ! "$bin" "${regressions[@]}" >"$log.replay" 2>&1; then
      echo "FAIL $t: a regression input crashes again (log: $log.replay)"; tail -30 "$log.replay"
      failed+=("$t"); continue
    fi
  fi
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -print_final_stats=1 -artifact_prefix="$build_dir/fuzz-artifacts/$t/" \
    "$build_dir/fuzz-corpus/$t" "$here/corpus/$t" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  if ((rc != 0)); then
    echo "FAIL $t after ${runs:-?} runs (log: $log; input in $build_dir/fuzz-artifacts/$t/)"
    grep -m1 -A40 -E '^==[0-9]+==ERROR|runtime error|check failed|deadly signal' "$log" | head -60
    failed+=("$t")
  else
    echo "ok   $t: ${runs:-?} runs in ${seconds}s (${speed:-?} exec/s, ${cov:-cov ?})"
  fi
done
if ((${#failed[@]})); then
  echo "fuzz targets failed: ${failed[*]}"
  exit 1
fi
