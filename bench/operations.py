#!/usr/bin/env python3
"""The operator tools' figures: the web console's page load and its cost to ingest, lineage
lookup time over RETAINED_GIB of retained data, and replay throughput.

Console: one stream (5 MiB / 60 s buffering) and hydrant-loadgen (PutRecordBatch of 500 records
of 1 KiB, 8 connections). The closed-loop peak is measured first; then, REPEATS times each, an
open-loop run at half of it (--rate) for DURATION seconds without the console, and the same run
with the stream's console page open in headless Chromium (tests/js/console_timing.mjs: the page
load until its graphs are drawn, then the page stays open and refreshes every 10 s). Reported:
acknowledged records/s, p99, and server CPU seconds per second of the run, medians.

Lineage: a stream tagged hydrant:retention_hours=24 (64 MiB / 60 s buffering) is filled with
RETAINED_GIB of 1 KiB records by hydrant-loadgen, with a marker record put by boto3 at the start,
the middle and the end; once everything is delivered (and still retained), each marker's lineage
is looked up LOOKUPS times through the HTTP endpoint `hydrant lineage` uses. Reported: the median
and the slowest lookup per marker.

Replay: the second half of that window is replayed into another stream (its own bucket); records
per second from the replay's own counters, start to completion.

Usage: BUILD_DIR=build bench/operations.py
Env: DURATION (20), REPEATS (3), RETAINED_GIB (10), LOOKUPS (5)
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))
BUILD_DIR = Path(os.environ.get("BUILD_DIR", HERE.parent / "build")).resolve()
os.environ.setdefault("HYDRANT_BIN", str(BUILD_DIR / "hydrant"))
from harness import Hydrant, wait_for  # noqa: E402

DURATION = float(os.environ.get("DURATION", "20"))
REPEATS = int(os.environ.get("REPEATS", "3"))
RETAINED_GIB = float(os.environ.get("RETAINED_GIB", "10"))
LOOKUPS = int(os.environ.get("LOOKUPS", "5"))
JS_DIR = HERE.parent / "tests" / "js"
ROLE = "arn:aws:iam::123456789012:role/x"


def log(message):
    print(message, file=sys.stderr, flush=True)


def loadgen(server, stream, *extra, create=False, buffer_mb=5, buffer_s=60):
    cmd = [str(BUILD_DIR / "hydrant-loadgen"), "--endpoint", server.endpoint, "--stream", stream,
           "--bucket", stream, "--records-per-request", "500", "--record-size", "1024", "--connections", "8",
           "--server-pid", str(server.process.pid), "--json", *extra]
    if create:
        cmd += ["--create", "--buffer-mb", str(buffer_mb), "--buffer-seconds", str(buffer_s)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=3600).stdout
    return json.loads(out.strip().splitlines()[-1])


def console_figures(root):
    server = Hydrant(root / "console", extra_args=["--log-level", "warn"]).start()
    try:
        peak = loadgen(server, "console", "--duration", "10", "--warmup", "2", create=True)
        rate = peak["requests_per_s"] / 2
        log(f"peak {peak['records_per_s']:.0f} records/s; half load = {rate:.1f} requests/s")
        runs = {"without": [], "with": []}
        loads = []
        for _ in range(REPEATS):
            for mode in ("without", "with"):
                page = None
                if mode == "with":
                    page = subprocess.Popen(
                        ["node", str(JS_DIR / "console_timing.mjs")], cwd=JS_DIR, stdout=subprocess.PIPE,
                        text=True, env={**os.environ, "HYDRANT_URL": f"{server.endpoint}/console#/streams/console",
                                        "HYDRANT_HOLD_SECONDS": str(DURATION + 4)})
                    # The run starts once the page is drawn: what is measured is an open console,
                    # not Chromium starting on the same two cores.
                    loads.append(json.loads(page.stdout.readline()))
                    time.sleep(2)
                report = loadgen(server, "console", "--rate", str(rate), "--duration", str(DURATION))
                if page:
                    page.communicate(timeout=120)
                runs[mode].append(report)
                log(f"{mode} console: {report['records_per_s']:.0f} records/s, p99 "
                    f"{report['latency_ms']['p99']} ms, server CPU {report['server_cpu_s'] / report['elapsed_s']:.2f}")
        figures = {"peak_records_per_s": peak["records_per_s"], "half_load_requests_per_s": rate}
        for mode, reports in runs.items():
            figures[f"{mode}_console"] = {
                "records_per_s": statistics.median(r["records_per_s"] for r in reports),
                "p99_ms": statistics.median(r["latency_ms"]["p99"] for r in reports),
                "server_cores": statistics.median(r["server_cpu_s"] / r["elapsed_s"] for r in reports)}
        figures["page_dom_ms"] = statistics.median(x["dom_ms"] for x in loads)
        figures["page_graphs_ms"] = statistics.median(x["graphs_ms"] for x in loads)
        return figures
    finally:
        server.stop()


def lineage_ms(server, stream, record_id):
    query = urllib.parse.urlencode({"stream": stream, "record_id": record_id})
    start = time.perf_counter()
    response = server.raw("GET", f"/console/api/lineage?{query}")
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status == 200, response.body
    return elapsed, json.loads(response.body)


def lineage_and_replay_figures(root):
    server = Hydrant(root / "lineage", max_buffered_bytes=int((RETAINED_GIB + 4) * 2**30),
                     extra_args=["--log-level", "warn"]).start()
    try:
        fh = server.firehose()
        s3 = server.s3()
        for name in ("retained", "replayed"):
            s3.create_bucket(Bucket=name)
            fh.create_delivery_stream(
                DeliveryStreamName=name, ExtendedS3DestinationConfiguration={
                    "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{name}",
                    "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60}},
                Tags=[{"Key": "hydrant:retention_hours", "Value": "24"}])
            server.wait_active(name)
        requests = int(RETAINED_GIB * 2**30 / (500 * 1024))
        markers = {}

        def mark(label):
            markers[label] = fh.put_record(DeliveryStreamName="retained", Record={"Data": b"marker\n"})["RecordId"]

        mark("first")
        t_start = time.time()
        fill = loadgen(server, "retained", "--requests", str(requests // 2))
        mark("middle")
        t_middle = time.time()
        fill2 = loadgen(server, "retained", "--requests", str(requests - requests // 2))
        mark("last")
        t_end = time.time()
        fill_rate = (fill["records"] + fill2["records"]) / (fill["elapsed_s"] + fill2["elapsed_s"])
        log(f"filled {RETAINED_GIB} GiB at {fill_rate:.0f} records/s; waiting for delivery")
        wait_for(lambda: lineage_ms(server, "retained", markers["last"])[1]["state"] == "delivered",
                 timeout=1800, interval=2, message="the last marker delivered")
        metrics = server.raw("GET", "/metrics", sign=False).body.decode()
        retained = next(int(line.split()[-1]) for line in metrics.splitlines()
                        if line.startswith('hydrant_wal_retained_bytes{delivery_stream="retained"}'))
        lookups = {}
        for label, record_id in markers.items():
            times = []
            for _ in range(LOOKUPS):
                ms, answer = lineage_ms(server, "retained", record_id)
                assert answer["state"] == "delivered" and answer["retained"], answer
                times.append(ms)
            lookups[label] = {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}
            log(f"lineage of the {label} marker: {lookups[label]}")

        response = server.raw("POST", "/console/api/replays", body={
            "stream": "retained", "to_stream": "replayed",
            "from": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t_middle - 1)),
            "to": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t_end + 1))})
        assert response.status == 201, response.body
        replay_id = json.loads(response.body)["id"]
        started = time.monotonic()
        done = wait_for(lambda: (lambda r: r if r["state"] != "running" else None)(
            json.loads(server.raw("GET", f"/console/api/replays/{replay_id}").body)),
            timeout=3600, interval=1, message="the replay completed")
        elapsed = time.monotonic() - started
        assert done["state"] == "completed", done
        log(f"replayed {done['records_replayed']} records in {elapsed:.1f} s")
        return {"retained_gib": round(retained / 2**30, 2), "fill_records_per_s": round(fill_rate),
                "lineage": lookups, "replay_records": done["records_replayed"],
                "replay_seconds": round(elapsed, 1),
                "replay_records_per_s": round(done["records_replayed"] / elapsed),
                "window_seconds": round(t_end - t_start, 1)}
    finally:
        server.stop(timeout=600)


def main():
    with tempfile.TemporaryDirectory(prefix="hydrant-ops-bench-") as tmp:
        root = Path(tmp)
        figures = {"console": console_figures(root), "lineage_replay": lineage_and_replay_figures(root)}
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
