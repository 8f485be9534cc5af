#!/usr/bin/env python3
"""Where the server's CPU goes under one load: `perf` (Debian's linux-perf) samples the whole
server process while hydrant-loadgen runs a closed-loop scenario, then prints the throughput,
the server's cores, its busiest threads and the top symbols (self time).

Usage: BUILD_DIR=build bench/profile.py SCENARIO
Scenarios: batch-100B (500 records of 100 B), batch-1KiB (500 of 1 KiB), single-1KiB (PutRecord,
16 connections), one-connection-1KiB (PutRecordBatch of 500 x 1 KiB on one connection).
Env: SECONDS (8), TOP (25), KEEP (a path: keep perf.data there, for `perf report -i`)
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))
BUILD_DIR = Path(os.environ.get("BUILD_DIR", HERE.parent / "build")).resolve()
os.environ.setdefault("HYDRANT_BIN", str(BUILD_DIR / "hydrant"))
from harness import Hydrant  # noqa: E402

SECONDS = int(os.environ.get("SECONDS", "8"))
TOP = int(os.environ.get("TOP", "25"))
SCENARIOS = {
    "batch-100B": ["--records-per-request", "500", "--record-size", "100", "--connections", "16"],
    "batch-1KiB": ["--records-per-request", "500", "--record-size", "1024", "--connections", "16"],
    "single-1KiB": ["--op", "PutRecord", "--record-size", "1024", "--connections", "16"],
    "one-connection-1KiB": ["--records-per-request", "500", "--record-size", "1024", "--connections", "1"],
}


def thread_cpu(pid):
    """{thread name: CPU seconds} of a process."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        out[f"{name}/{task.name}"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def main():
    scenario = sys.argv[1] if len(sys.argv) > 1 else "batch-100B"
    args = SCENARIOS[scenario]
    with tempfile.TemporaryDirectory(prefix="hydrant-profile-") as tmp:
        server = Hydrant(Path(tmp), extra_args=["--log-level", "warn"]).start()
        pid = server.process.pid
        loadgen = [str(BUILD_DIR / "hydrant-loadgen"), "--endpoint", server.endpoint, "--stream", "profile",
                   "--server-pid", str(pid), "--json", *args]
        subprocess.run(loadgen + ["--create", "--duration", "2"], check=True, capture_output=True)
        run = subprocess.Popen(loadgen + ["--duration", str(SECONDS + 3)], stdout=subprocess.PIPE, text=True)
        time.sleep(2)
        before = thread_cpu(pid)
        data = Path(tmp) / "perf.data"
        subprocess.run(["perf", "record", "-F", "999", "-g", "-p", str(pid), "-o", str(data), "--", "sleep",
                        str(SECONDS)], check=True, capture_output=True)
        after = thread_cpu(pid)
        report = json.loads(run.communicate()[0].strip().splitlines()[-1])
        symbols = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--sort", "symbol",
                                  "--stdio", "-g", "none"], capture_output=True, text=True).stdout
        server.stop()
        if os.environ.get("KEEP"):
            shutil.copy(data, os.environ["KEEP"])
    print(f"{scenario}: {report['records_per_s']:,.0f} records/s, {report['payload_mib_per_s']:.1f} MiB/s, "
          f"p99 {report['latency_ms']['p99']} ms, server {report['server_cpu_s'] / report['elapsed_s']:.2f} cores, "
          f"loadgen {report['loadgen_cpu_s'] / report['elapsed_s']:.2f} cores")
    busy = sorted(((after.get(t, 0) - before.get(t, 0)) / SECONDS, t) for t in after)
    print("threads (cores):", ", ".join(f"{t} {c:.2f}" for c, t in reversed(busy) if c >= 0.02))
    lines = [re.sub(r"\s{2,}", " ", line).strip() for line in symbols.splitlines()
             if line.strip() and not line.startswith("#")]
    print("\n".join(lines[:TOP]))


if __name__ == "__main__":
    main()
