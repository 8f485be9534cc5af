#!/usr/bin/env python3
"""Dynamic-partitioning benchmark: end-to-end MiB/s and peak RSS with 1 and with 100 active
partitions (see README.md).

For each partition count and each of REPEATS runs: start a fresh `hydrant serve`, create a
bucket and a stream with DynamicPartitioningConfiguration Enabled, a MetadataExtraction (jq)
query that maps the generator's `"user":"uNNNN"` field to PARTITIONS values, Prefix
`p=!{partitionKeyFromQuery:p}/`, 64 MiB / 900 s buffering; send RECORDS records of 1 KiB with
hydrant-loadgen at full speed, then SIGTERM the server, which delivers every buffer before it
exits. MiB/s = payload / (server exit - first request sent): processing and delivery without
the wait for the buffering interval. Peak RSS = the server's VmHWM, read until it exits. A
second server on the same data directory then checks through the S3 API that every byte
arrived, in PARTITIONS folders, with no error output.

Usage: BUILD_DIR=build bench/partitions.py
Env: RECORDS (400000), REPEATS (3), CONNECTIONS (8), COUNTS ("1,100"), DATA_PARENT
"""
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import boto3
from botocore.config import Config

from transform import delivered_bytes, free_port  # the same helpers as the other scenarios

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD_DIR = os.path.abspath(os.environ.get("BUILD_DIR", os.path.join(ROOT, "build")))
RECORDS = int(os.environ.get("RECORDS", "400000"))
REPEATS = int(os.environ.get("REPEATS", "3"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "8"))
COUNTS = [int(c) for c in os.environ.get("COUNTS", "1,100").split(",")]
DATA_PARENT = os.environ.get("DATA_PARENT", tempfile.gettempdir())
RECORD_SIZE = 1024
PER_REQUEST = 500
BUCKET = "partition-bench"
STREAM = "partitioned"
ACCOUNT = "123456789012"


def log(msg):
    print(f"partitions.py: {msg}", file=sys.stderr, flush=True)


def client(endpoint, service):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                                      read_timeout=120))


def peak_rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


class Server:
    def __init__(self, data_dir):
        self.port = free_port()
        self.log = open(data_dir + ".log", "a")
        self.proc = subprocess.Popen(
            [os.path.join(BUILD_DIR, "hydrant"), "serve", "--listen", f"127.0.0.1:{self.port}",
             "--data-dir", data_dir], stdout=self.log, stderr=subprocess.STDOUT)
        self.endpoint = f"http://127.0.0.1:{self.port}"
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server not answering")

    def drain(self):
        """SIGTERM, then wait for the exit; returns the highest VmHWM seen (MiB)."""
        peak = peak_rss_mib(self.proc.pid)
        self.proc.terminate()
        while self.proc.poll() is None:
            try:
                peak = max(peak, peak_rss_mib(self.proc.pid))
            except (FileNotFoundError, TypeError, ProcessLookupError):
                pass
            time.sleep(0.02)
        return peak


def run_once(partitions, run):
    data_dir = tempfile.mkdtemp(prefix="hydrant-partitions-", dir=DATA_PARENT)
    server = Server(data_dir)
    try:
        s3, fh = client(server.endpoint, "s3"), client(server.endpoint, "firehose")
        s3.create_bucket(Bucket=BUCKET)
        # users are u0..u9999, uniformly: the remainder spreads records evenly over the partitions.
        query = f'{{p: ((.user[1:] | tonumber) % {partitions} | tostring)}}'
        fh.create_delivery_stream(DeliveryStreamName=STREAM, ExtendedS3DestinationConfiguration={
            "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/x", "BucketARN": f"arn:aws:s3:::{BUCKET}",
            "Prefix": "p=!{partitionKeyFromQuery:p}/", "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
            "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 900},
            "DynamicPartitioningConfiguration": {"Enabled": True},
            "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "MetadataExtraction", "Parameters": [
                {"ParameterName": "MetadataExtractionQuery", "ParameterValue": query},
                {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]}]}})
        for _ in range(100):
            if fh.describe_delivery_stream(DeliveryStreamName=STREAM)[
                    "DeliveryStreamDescription"]["DeliveryStreamStatus"] == "ACTIVE":
                break
            time.sleep(0.1)
        requests = RECORDS // PER_REQUEST
        expected = requests * PER_REQUEST * RECORD_SIZE
        t0 = time.monotonic()
        out = subprocess.run(
            [os.path.join(BUILD_DIR, "hydrant-loadgen"), "--endpoint", server.endpoint, "--stream", STREAM,
             "--records-per-request", str(PER_REQUEST), "--record-size", str(RECORD_SIZE),
             "--connections", str(CONNECTIONS), "--requests", str(requests), "--verify", "--json"],
            check=True, capture_output=True, text=True).stdout
        t_sent = time.monotonic() - t0
        ingest = json.loads(out.strip().splitlines()[-1])
        peak = server.drain()
        t_done = time.monotonic() - t0

        server = Server(data_dir)  # checks what the first one delivered
        s3 = client(server.endpoint, "s3")
        got = delivered_bytes(s3, "p=", BUCKET)
        errors = delivered_bytes(s3, "errors/", BUCKET)
        folders = {o["Key"].split("/")[0]
                   for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="p=")
                   for o in page.get("Contents", [])}
        if got != expected or errors or len(folders) != partitions:
            raise RuntimeError(f"delivered {got} of {expected} bytes into {len(folders)} partitions, "
                               f"{errors} bytes of errors")
        return {"partitions": partitions, "run": run, "records": requests * PER_REQUEST,
                "send_s": round(t_sent, 2), "end_to_end_s": round(t_done, 2),
                "mib_per_s": round(expected / 2**20 / t_done, 1),
                "records_per_s": round(requests * PER_REQUEST / t_done),
                "peak_rss_mib": round(peak, 1), "ingest_errors": ingest["errors_total"]}
    finally:
        server.proc.kill()
        server.proc.wait()
        shutil.rmtree(data_dir, ignore_errors=True)
        os.unlink(data_dir + ".log")


def main():
    summary = {}
    for partitions in COUNTS:
        runs = []
        for run in range(REPEATS):
            result = run_once(partitions, run)
            log(json.dumps(result))
            runs.append(result)
        summary[partitions] = {
            "mib_per_s_median": statistics.median(r["mib_per_s"] for r in runs),
            "records_per_s_median": statistics.median(r["records_per_s"] for r in runs),
            "peak_rss_mib_max": max(r["peak_rss_mib"] for r in runs),
            "end_to_end_s_median": statistics.median(r["end_to_end_s"] for r in runs)}
    print(json.dumps(summary, indent=1))
    if 1 in summary and len(summary) > 1:
        for partitions, figures in summary.items():
            if partitions != 1:
                ratio = figures["mib_per_s_median"] / summary[1]["mib_per_s_median"]
                print(f"{partitions} partitions: {ratio:.0%} of the single-partition MiB/s")


if __name__ == "__main__":
    main()
