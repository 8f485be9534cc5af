#!/usr/bin/env python3
"""Many streams: what N configured streams cost while no record arrives.

For each N in COUNTS: a fresh `hydrant serve`, N streams created through the API (CREATE_THREADS
boto3 clients at once; streams/s is N over the wall time), then, after SETTLE_S, the server's
threads, RSS and CPU over IDLE_S seconds with no traffic (in % of one core, from /proc/PID/stat).
Then SIGTERM and a start on the same data dir: the restart time (spawn until /health answers)
and the same figures again. With N = 5000 (the service's per-account quota) one more create must
get LimitExceededException.

Then FLUSH_STREAMS streams (default 5 MiB / 300 s buffering) at once: hydrant-loadgen sends
FLUSH_RECORDS records of 1 KiB round-robin over them at full speed, so every buffer fills and
flushes at about the same time; figures: the server's peak RSS (VmHWM) and records/s until the
last byte is in the embedded store.

Usage: BUILD_DIR=build bench/many_streams.py        prints one JSON line per N, then the flush
Env: COUNTS (1000,5000), CREATE_THREADS (8), SETTLE_S (5), IDLE_S (10), FLUSH_STREAMS (200),
     FLUSH_RECORDS (1200000), DATA_PARENT
"""
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from backlog import BUILD_DIR, Server, proc_status_kib  # one server over a data dir that survives restarts
from transform import delivered_bytes

COUNTS = [int(n) for n in os.environ.get("COUNTS", "1000,5000").split(",") if n]
CREATE_THREADS = int(os.environ.get("CREATE_THREADS", "8"))
SETTLE_S = float(os.environ.get("SETTLE_S", "5"))
IDLE_S = float(os.environ.get("IDLE_S", "10"))
FLUSH_STREAMS = int(os.environ.get("FLUSH_STREAMS", "200"))
FLUSH_RECORDS = int(os.environ.get("FLUSH_RECORDS", "1200000"))
QUOTA = 5000
TICKS = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(f"many_streams.py: {msg}", file=sys.stderr, flush=True)


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def idle_figures(server):
    time.sleep(SETTLE_S)
    pid = server.proc.pid
    before, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(IDLE_S)
    cpu = (cpu_seconds(pid) - before) / (time.monotonic() - t0)
    return {"threads": proc_status_kib(pid, "Threads"), "rss_mib": server.rss() / 1024,
            "idle_cpu_percent": 100 * cpu}


def create(server, names, hints=None):
    client = server.client("firehose")
    for name in names:
        client.create_delivery_stream(
            DeliveryStreamName=name,
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::123456789012:role/r", "BucketARN": "arn:aws:s3:::many",
                "Prefix": name + "/",
                "BufferingHints": hints or {"SizeInMBs": 1, "IntervalInSeconds": 60}})


def run(count):
    server = Server(max_buffered_bytes=10 << 30)
    server.start()
    try:
        server.client("s3").create_bucket(Bucket="many")
        names = [f"s{i:05d}" for i in range(count)]
        chunks = [names[i::CREATE_THREADS] for i in range(CREATE_THREADS)]
        t0 = time.monotonic()
        with ThreadPoolExecutor(CREATE_THREADS) as pool:
            for f in [pool.submit(create, server, chunk) for chunk in chunks]:
                f.result()
        create_s = time.monotonic() - t0
        result = {"streams": count, "create_s": create_s, "streams_per_s": count / create_s}
        if count >= QUOTA:
            try:
                create(server, ["one-too-many"])
                result["quota_error"] = None
            except server.client("firehose").exceptions.LimitExceededException as e:
                result["quota_error"] = "LimitExceededException: " + str(e.response["Error"]["Message"])
        result["idle"] = idle_figures(server)
        server.proc.terminate()
        server.proc.wait(timeout=600)
        result["restart_s"] = server.start()
        result["after_restart"] = idle_figures(server)
        return result
    finally:
        server.cleanup()


def flush():
    server = Server(max_buffered_bytes=10 << 30)
    server.start()
    try:
        server.client("s3").create_bucket(Bucket="many")
        names = [f"f-{i}" for i in range(FLUSH_STREAMS)]
        create(server, names, {"SizeInMBs": 5, "IntervalInSeconds": 10})
        time.sleep(1)
        per_request = 500
        requests = FLUSH_RECORDS // per_request
        expected = requests * per_request * 1024
        t0 = time.monotonic()
        subprocess.run(
            [os.path.join(BUILD_DIR, "hydrant-loadgen"), "--endpoint", server.endpoint,
             "--stream", "f", "--streams", str(FLUSH_STREAMS), "--op", "PutRecordBatch",
             "--records-per-request", str(per_request), "--record-size", "1024",
             "--connections", "8", "--requests", str(requests), "--json"],
            check=True, capture_output=True, text=True)
        sent_s = time.monotonic() - t0
        s3 = server.client("s3")
        got = 0
        while got < expected and time.monotonic() - t0 < 600:
            time.sleep(0.5)
            got = delivered_bytes(s3, "", bucket="many")
        return {"flush_streams": FLUSH_STREAMS, "records": requests * per_request,
                "send_s": round(sent_s, 2), "ingest_records_per_s": round(requests * per_request / sent_s),
                "delivered_s": round(time.monotonic() - t0, 2), "delivered_all": got == expected,
                "threads": proc_status_kib(server.proc.pid, "Threads"),
                "peak_rss_mib": round(server.hwm() / 1024)}
    finally:
        server.cleanup()


def main():
    for count in COUNTS:
        log(f"{count} streams")
        print(json.dumps(run(count)), flush=True)
    if FLUSH_STREAMS:
        log(f"{FLUSH_STREAMS} streams flushing")
        print(json.dumps(flush()), flush=True)


if __name__ == "__main__":
    main()
