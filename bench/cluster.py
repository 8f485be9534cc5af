#!/usr/bin/env python3
"""Cluster mode benchmark: acknowledged records/s through 1 and 3 nodes, and the takeover time.

Starts a real 3-server NATS JetStream cluster (tests/e2e/nats_cluster.py: Debian's nats-server,
file storage, routes on loopback) and a single-node Hydrant as the S3 server every node delivers
to (remote_buckets). For NODES in 1 and 3: that many `hydrant serve --cluster` nodes, one stream
(5 MiB / 1 s buffering), and hydrant-loadgen (PutRecordBatch of 500 records of RECORD_SIZE
bytes) against every node at once for DURATION seconds, CONNECTIONS connections in all. A put
is acknowledged once JetStream stored it on 2 of its 3 replicas. Records/s is the sum of what
the load generators report as acknowledged.

Takeover: with 3 nodes and a light load (20 requests/s) on the two nodes that do not deliver the
stream, the delivering node is killed with SIGKILL; reported are the seconds until another node
runs the stream's lanes and until it delivered its first object.

Everything runs on this one machine: 3 NATS servers, up to 3 nodes, the S3 server and the load
generators share its cores, so 3 nodes cannot show more throughput than 1 here; what the figures
show is the cost of replication per acknowledged record and that the work spreads.

Usage: BUILD_DIR=build bench/cluster.py
Env: DURATION (10), RECORD_SIZE (1024), CONNECTIONS (12), REPEATS (3)
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))
BUILD_DIR = Path(os.environ.get("BUILD_DIR", HERE.parent / "build")).resolve()
os.environ.setdefault("HYDRANT_BIN", str(BUILD_DIR / "hydrant"))
from harness import Hydrant, wait_for  # noqa: E402
from nats_cluster import NatsCluster  # noqa: E402

DURATION = float(os.environ.get("DURATION", "10"))
RECORD_SIZE = int(os.environ.get("RECORD_SIZE", "1024"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "12"))
REPEATS = int(os.environ.get("REPEATS", "3"))
ROLE = "arn:aws:iam::123456789012:role/x"


def start(root, nats, config, count, log_level="warn"):
    nodes = [Hydrant(root / f"node{i}", config_file=config,
                     extra_args=["--cluster", nats.urls, "--node-id", f"node{i}", "--log-level", log_level])
             for i in range(count)]
    for node in nodes:
        node.start()
    return nodes


def create(node, name, interval_s=1):
    node.firehose().create_delivery_stream(
        DeliveryStreamName=name, DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::bench",
                                            "Prefix": f"{name}/",
                                            "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": interval_s}})
    node.wait_active(name)


def loadgen(node, stream, connections, duration=None, rate=None):
    cmd = [str(BUILD_DIR / "hydrant-loadgen"), "--endpoint", node.endpoint, "--stream", stream,
           "--op", "PutRecordBatch", "--records-per-request", "500", "--record-size", str(RECORD_SIZE),
           "--connections", str(connections), "--duration", str(duration or 3600), "--json"]
    if rate:
        cmd += ["--rate", str(rate)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def throughput(nodes, stream):
    per_node = max(1, CONNECTIONS // len(nodes))
    generators = [loadgen(node, stream, per_node, DURATION) for node in nodes]
    reports = [json.loads(g.communicate(timeout=DURATION + 120)[0].strip().splitlines()[-1]) for g in generators]
    return {"records_per_s": sum(r["records_per_s"] for r in reports),
            "mib_per_s": sum(r["payload_mib_per_s"] for r in reports),
            "p99_ms": max(r.get("latency_ms", {}).get("p99", 0) for r in reports),
            "errors": sum(r["errors_total"] for r in reports)}


def takeover(root, nats, config, run):
    nodes = start(root / f"takeover-{run}", nats, config, 3, log_level="info")  # lanes are logged at info
    stream = f"takeover-{run}"
    try:
        create(nodes[0], stream)
        owner = wait_for(lambda: next((n for n in nodes if f"runs the lanes of stream {stream}\n"
                                       in n.log_text(max_chars=20_000_000)), None), timeout=20,
                         message="a lane holder")
        others = [n for n in nodes if n is not owner]
        marks = {n.endpoint: len(n.log_text(max_chars=20_000_000)) for n in others}
        generators = [loadgen(n, stream, 1, rate=10) for n in others]
        time.sleep(4)
        owner.kill()
        killed = time.monotonic()

        def seen(text):  # in a survivor's log since the kill
            return next((n for n in others if text in n.log_text(max_chars=20_000_000)[marks[n.endpoint]:]), None)
        wait_for(lambda: seen(f"runs the lanes of stream {stream}\n"), timeout=30, interval=0.05,
                 message="a successor")
        taken = time.monotonic() - killed
        wait_for(lambda: seen(f"stream {stream}: delivered "), timeout=30, interval=0.05,
                 message="the successor's first object")
        delivered = time.monotonic() - killed
        for g in generators:
            g.kill()
            g.communicate(timeout=30)
        return {"lanes_taken_s": round(taken, 2), "first_object_s": round(delivered, 2)}
    finally:
        for n in nodes:
            if n.alive():
                n.stop()


def main():
    root = Path(tempfile.mkdtemp(prefix="hydrant-cluster-bench-"))
    nats = NatsCluster(root / "nats").start()
    s3 = Hydrant(root / "s3", extra_args=["--log-level", "warn"]).start()
    s3.s3().create_bucket(Bucket="bench")
    config = root / "node.yaml"
    config.write_text(f"remote_buckets:\n  - name: bench\n    endpoint: {s3.endpoint}\n    region: us-east-1\n"
                      f"    access_key_id: local\n    secret_access_key: local\n")
    results = {}
    try:
        for count in (() if os.environ.get("TAKEOVER_ONLY") else (1, 3)):
            runs = []
            for run in range(REPEATS):
                nodes = start(root / f"nodes-{count}-{run}", nats, config, count)
                try:
                    stream = f"bench-{count}-{run}"
                    create(nodes[0], stream)
                    r = throughput(nodes, stream)
                    runs.append(r)
                    nodes[0].firehose().delete_delivery_stream(DeliveryStreamName=stream)  # and its backlog
                    print(json.dumps({"nodes": count, "run": run, **r}), flush=True)
                finally:
                    for node in nodes:
                        node.stop()
            results[f"{count}_node"] = {
                "median_records_per_s": round(statistics.median(r["records_per_s"] for r in runs)),
                "median_mib_per_s": round(statistics.median(r["mib_per_s"] for r in runs), 1),
                "median_p99_ms": round(statistics.median(r["p99_ms"] for r in runs), 1),
                "errors": sum(r["errors"] for r in runs)}
        takeovers = []
        for run in range(REPEATS):
            t = takeover(root, nats, config, run)
            takeovers.append(t)
            print(json.dumps({"takeover": run, **t}), flush=True)
        results["takeover"] = {
            "median_lanes_taken_s": statistics.median(t["lanes_taken_s"] for t in takeovers),
            "median_first_object_s": statistics.median(t["first_object_s"] for t in takeovers),
            "max_first_object_s": max(t["first_object_s"] for t in takeovers)}
        print(json.dumps({"record_size": RECORD_SIZE, "connections": CONNECTIONS, "duration_s": DURATION,
                          **results}))
    finally:
        s3.stop()
        nats.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
