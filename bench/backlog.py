#!/usr/bin/env python3
"""Backlog benchmark: memory while a large backlog waits for an unreachable destination.

For each record size (100 B and 1 KiB): start a fresh `hydrant serve` with --max-buffered-bytes
above the backlog, create one stream whose bucket does not exist yet (every delivery attempt
fails with S3.NoSuchBucket and is retried with backoff), and send BACKLOG_GIB GiB of records
with hydrant-loadgen (PutRecordBatch, 500 records per request). VmRSS is sampled every 0.5 s
while the backlog grows. Then the server is killed (SIGKILL) and started again on the same data
dir: recovery time is spawn until /health answers, RSS is read 2 s later. Finally the bucket is
created and the backlog drains; drain time runs from the bucket's creation until the
hydrant_buffered_bytes gauge is 0 and the objects hold every byte sent (time to the first object
shows the retry backoff), with RSS sampled throughout.

Every figure comes from /proc/PID/status (VmRSS now, VmHWM the process's peak).

Usage: BUILD_DIR=build bench/backlog.py
Env: BACKLOG_GIB (5), SIZES (100,1024), CONNECTIONS (8), DATA_PARENT (temp dir parent)
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
from botocore.config import Config

from transform import delivered_bytes, free_port  # the same helpers as the other scenarios

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD_DIR = os.environ.get("BUILD_DIR", os.path.join(ROOT, "build"))
DATA_PARENT = os.environ.get("DATA_PARENT") or None
BACKLOG_GIB = float(os.environ.get("BACKLOG_GIB", "5"))
SIZES = [int(s) for s in os.environ.get("SIZES", "100,1024").split(",") if s]
CONNECTIONS = int(os.environ.get("CONNECTIONS", "8"))
PER_REQUEST = 500
BUCKET = "backlog-bench"
STREAM = "backlog"
ACCOUNT = "123456789012"
GIB = 1 << 30
MIB = 1 << 20


def log(msg):
    print(f"backlog.py: {msg}", file=sys.stderr, flush=True)


def proc_status_kib(pid, field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


class Server:
    """One hydrant process over a data dir that outlives restarts."""

    def __init__(self, max_buffered_bytes):
        self.data_dir = tempfile.mkdtemp(prefix="hydrant-backlog-", dir=DATA_PARENT)
        self.max_buffered_bytes = max_buffered_bytes
        self.proc = None
        self.starts = 0

    def start(self):
        """Spawns the server; returns seconds until /health answered 200."""
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log_path = f"{self.data_dir}.{self.starts}.log"
        self.starts += 1
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [os.path.join(BUILD_DIR, "hydrant"), "serve", "--listen", f"127.0.0.1:{self.port}",
             "--data-dir", self.data_dir, "--max-buffered-bytes", str(self.max_buffered_bytes)],
            stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)
        while time.monotonic() - t0 < 600:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + open(self.log_path).read()[-3000:])
            try:
                with urllib.request.urlopen(self.endpoint + "/health", timeout=1) as r:
                    if r.status == 200:
                        return time.monotonic() - t0
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server not answering")

    def client(self, service):
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=Config(s3={"addressing_style": "path"},
                                          retries={"max_attempts": 1}, read_timeout=120))

    def rss(self):
        return proc_status_kib(self.proc.pid, "VmRSS")

    def hwm(self):
        return proc_status_kib(self.proc.pid, "VmHWM")

    def gauge(self, name):
        """Sum of a /metrics gauge over its series."""
        with urllib.request.urlopen(self.endpoint + "/metrics", timeout=10) as r:
            text = r.read().decode()
        return sum(float(m.group(1)) for m in re.finditer(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.kill()

    def cleanup(self):
        self.kill()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        for i in range(self.starts):
            try:
                os.unlink(f"{self.data_dir}.{i}.log")
            except OSError:
                pass


def create_stream(server):
    fh = server.client("firehose")
    fh.create_delivery_stream(DeliveryStreamName=STREAM, ExtendedS3DestinationConfiguration={
        "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/x", "BucketARN": f"arn:aws:s3:::{BUCKET}",
        "Prefix": "data/", "ErrorOutputPrefix": "errors/",
        "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 1}})
    for _ in range(100):
        if fh.describe_delivery_stream(DeliveryStreamName=STREAM)[
                "DeliveryStreamDescription"]["DeliveryStreamStatus"] == "ACTIVE":
            return
        time.sleep(0.1)
    raise RuntimeError("stream not ACTIVE")


def run_once(record_size):
    requests = int(BACKLOG_GIB * GIB) // (record_size * PER_REQUEST)
    expected = requests * PER_REQUEST * record_size
    server = Server(max_buffered_bytes=int(expected * 1.25) + GIB)
    try:
        server.start()
        create_stream(server)
        baseline = server.rss()
        log(f"{record_size} B records: sending {requests} requests ({expected / GIB:.2f} GiB)")
        t0 = time.monotonic()
        loadgen = subprocess.Popen(
            [os.path.join(BUILD_DIR, "hydrant-loadgen"), "--endpoint", server.endpoint,
             "--stream", STREAM, "--op", "PutRecordBatch", "--records-per-request", str(PER_REQUEST),
             "--record-size", str(record_size), "--connections", str(CONNECTIONS),
             "--requests", str(requests), "--verify", "--json"],
            stdout=subprocess.PIPE, text=True)
        samples = []  # (seconds, VmRSS KiB)
        while loadgen.poll() is None:
            samples.append((round(time.monotonic() - t0, 1), server.rss()))
            time.sleep(0.5)
        send_s = time.monotonic() - t0
        out = loadgen.communicate()[0]
        if loadgen.returncode != 0:
            raise RuntimeError(f"hydrant-loadgen exited {loadgen.returncode}: {out}")
        time.sleep(2)
        buffered = server.gauge("hydrant_buffered_bytes")
        if buffered != expected:
            raise RuntimeError(f"hydrant_buffered_bytes {buffered}, sent {expected}")
        grow = {"baseline_rss_kib": baseline, "max_rss_kib": max(r for _, r in samples),
                "end_rss_kib": server.rss(), "end_hwm_kib": server.hwm(),
                "rss_at_quarters_kib": [samples[min(len(samples) - 1, len(samples) * q // 4)][1]
                                        for q in (1, 2, 3)]}

        server.kill()
        recovery_s = server.start()
        time.sleep(2)
        recovered = {"recovery_s": round(recovery_s, 2), "rss_kib": server.rss(), "hwm_kib": server.hwm()}
        if server.gauge("hydrant_buffered_bytes") != expected:
            raise RuntimeError("backlog not recovered whole")

        s3 = server.client("s3")
        t_bucket = time.monotonic()
        s3.create_bucket(Bucket=BUCKET)
        drain_rss, first_object_s, got = [], None, 0
        while time.monotonic() - t_bucket < 1800:
            drain_rss.append(server.rss())
            if first_object_s is None and delivered_bytes(s3, "data/", BUCKET) > 0:
                first_object_s = time.monotonic() - t_bucket
            if server.gauge("hydrant_buffered_bytes") == 0:
                got = delivered_bytes(s3, "data/", BUCKET)
                if got >= expected:
                    break
            time.sleep(0.1)
        drain_s = time.monotonic() - t_bucket
        if got != expected:
            raise RuntimeError(f"delivered {got} of {expected} bytes")
        drain = {"first_object_s": round(first_object_s or drain_s, 1), "drain_s": round(drain_s, 1),
                 "drain_mib_per_s": round(expected / MIB / drain_s, 1),
                 # the delivery rate alone, without the retry backoff before the first object
                 "delivery_mib_per_s": round(expected / MIB / max(drain_s - (first_object_s or 0), 1e-3), 1),
                 "max_rss_kib": max(drain_rss), "end_hwm_kib": server.hwm()}
        return {"record_size": record_size, "records": requests * PER_REQUEST, "bytes": expected,
                "send_s": round(send_s, 1), "ingest_mib_per_s": round(expected / MIB / send_s, 1),
                "growing": grow, "after_restart": recovered, "draining": drain}
    finally:
        server.cleanup()


def main():
    print(f"# hydrant backlog bench {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}; "
          f"{BACKLOG_GIB} GiB per record size {SIZES}, destination bucket missing until the drain; "
          f"load average before: {open('/proc/loadavg').read().split()[:3]}", flush=True)
    results = []
    for size in SIZES:
        r = run_once(size)
        print(json.dumps(r), flush=True)
        results.append(r)
    print("\nrecord_B\trecords\tsend_s\tgrow_max_rss_MiB\tgrow_hwm_MiB\trecovery_s\trecovered_rss_MiB"
          "\tfirst_object_s\tdrain_s\tdelivery_MiB/s\tdrain_max_rss_MiB")
    for r in results:
        g, a, d = r["growing"], r["after_restart"], r["draining"]
        print(f"{r['record_size']}\t{r['records']}\t{r['send_s']}\t{g['max_rss_kib'] // 1024}"
              f"\t{g['end_hwm_kib'] // 1024}\t{a['recovery_s']}\t{a['rss_kib'] // 1024}"
              f"\t{d['first_object_s']}\t{d['drain_s']}\t{d['delivery_mib_per_s']}\t{d['max_rss_kib'] // 1024}")
    print(f"# load average after: {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
