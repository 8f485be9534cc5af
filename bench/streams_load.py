#!/usr/bin/env python3
"""Many streams under steady load: the tail, the memory and whether any stream is starved.

STREAMS streams (default 1,000) of 5 MiB / INTERVAL_S buffering, 1 KiB records in batches of
500, spread round-robin by hydrant-loadgen over CONNECTIONS connections:

1. peak: a fresh server, the streams created, PEAK_S seconds closed loop (as fast as answers
   come): the peak req/s.
2. steady: another fresh server (so no backlog of the peak is left), the same streams, then an
   open loop at FRACTION of the peak for STEADY_S seconds, as consecutive WINDOW_S runs, each
   with its own latency figures. Meanwhile /metrics is read every SAMPLE_S seconds: each
   stream's `firehose_delivery_to_s3_data_freshness_seconds` (the age of its oldest record not
   yet delivered, the service's DeliveryToS3.DataFreshness), and the server's RSS.

Prints one JSON line: the peak, the rate asked for, each window's req/s, p50 and p99, the
server's cores, its RSS (largest sample and VmHWM), the largest freshness of any stream and
how many streams exceeded 2 x INTERVAL_S (starved). The issue's targets for 1,000 streams:
RSS <= 512 MiB, p99 at half load <= 20 ms, no stream starved.

Usage: BUILD_DIR=build bench/streams_load.py
Env: STREAMS (1000), INTERVAL_S (60), FRACTION (0.5), PEAK_S (10), STEADY_S (180), WINDOW_S (10),
     SAMPLE_S (5), CONNECTIONS (16), DATA_PARENT
"""
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request

from backlog import BUILD_DIR, Server, proc_status_kib

STREAMS = int(os.environ.get("STREAMS", "1000"))
INTERVAL_S = int(os.environ.get("INTERVAL_S", "60"))
FRACTION = float(os.environ.get("FRACTION", "0.5"))
PEAK_S = float(os.environ.get("PEAK_S", "10"))
STEADY_S = float(os.environ.get("STEADY_S", "180"))
WINDOW_S = float(os.environ.get("WINDOW_S", "10"))
SAMPLE_S = float(os.environ.get("SAMPLE_S", "5"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "16"))
STREAM = "load"
FRESHNESS = re.compile(r'^firehose_delivery_to_s3_data_freshness_seconds\{delivery_stream="([^"]+)"\} (\S+)$', re.M)


def log(msg):
    print(f"streams_load.py: {msg}", file=sys.stderr, flush=True)


def loadgen(server, *args):
    out = subprocess.run(
        [os.path.join(BUILD_DIR, "hydrant-loadgen"), "--endpoint", server.endpoint, "--stream", STREAM,
         "--streams", str(STREAMS), "--records-per-request", "500", "--record-size", "1024",
         "--connections", str(CONNECTIONS), "--server-pid", str(server.proc.pid), "--verify", "--json", *args],
        check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def fresh_server():
    server = Server(max_buffered_bytes=10 << 30)
    server.start()
    t0 = time.monotonic()
    loadgen(server, "--create", "--buffer-mb", "5", "--buffer-seconds", str(INTERVAL_S), "--requests", "1")
    log(f"{STREAMS} streams created in {time.monotonic() - t0:.1f} s")
    return server


def sample(server, stop, freshness, rss):
    while not stop.wait(SAMPLE_S):
        try:
            with urllib.request.urlopen(server.endpoint + "/metrics", timeout=30) as r:
                text = r.read().decode()
        except OSError as e:
            log(f"metrics: {e}")
            continue
        for name, value in FRESHNESS.findall(text):
            freshness[name] = max(freshness.get(name, 0.0), float(value))
        rss.append(proc_status_kib(server.proc.pid, "VmRSS") / 1024)


def main():
    server = fresh_server()
    try:
        peak = loadgen(server, "--duration", str(PEAK_S), "--warmup", "2")
    finally:
        server.cleanup()
    rate = FRACTION * peak["requests_per_s"]
    log(f"peak {peak['requests_per_s']:.1f} req/s; steady at {rate:.1f} req/s for {STEADY_S:.0f} s")

    server = fresh_server()
    freshness, rss, windows = {}, [], []
    stop = threading.Event()
    sampler = threading.Thread(target=sample, args=(server, stop, freshness, rss))
    sampler.start()
    try:
        t0 = time.monotonic()
        while time.monotonic() - t0 < STEADY_S:
            r = loadgen(server, "--rate", f"{rate:.3f}", "--duration", str(WINDOW_S))
            windows.append({"req_per_s": round(r["requests_per_s"], 1), "p50_ms": r["latency_ms"]["p50"],
                            "p99_ms": r["latency_ms"]["p99"],
                            "server_cores": round(r["server_cpu_s"] / r["elapsed_s"], 2)})
            log(f"window {len(windows)}: {windows[-1]}")
        stop.set()
        sampler.join()
        hwm_mib = proc_status_kib(server.proc.pid, "VmHWM") / 1024
    finally:
        stop.set()
        server.cleanup()

    p99s = sorted(w["p99_ms"] for w in windows)
    worst = max(freshness.items(), key=lambda kv: kv[1]) if freshness else ("", 0.0)
    print(json.dumps({
        "streams": STREAMS, "interval_s": INTERVAL_S, "peak_req_per_s": round(peak["requests_per_s"], 1),
        "peak_mib_per_s": round(peak["payload_mib_per_s"], 1), "peak_p99_ms": peak["latency_ms"]["p99"],
        "rate_req_per_s": round(rate, 1), "windows": windows,
        "p99_ms_median": p99s[len(p99s) // 2], "p99_ms_max": p99s[-1],
        "rss_mib_max": round(max(rss, default=0)), "vm_hwm_mib": round(hwm_mib),
        "streams_sampled": len(freshness), "freshness_s_max": worst[1], "freshness_worst_stream": worst[0],
        "starved": sum(1 for v in freshness.values() if v > 2 * INTERVAL_S)}), flush=True)


if __name__ == "__main__":
    main()
