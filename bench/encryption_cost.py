#!/usr/bin/env python3
"""What server-side stream encryption costs at peak ingest.

Alternates runs of the same closed-loop load (hydrant-loadgen, PutRecordBatch of 500 records,
CONNECTIONS connections, DURATION s after WARMUP s) against a fresh `hydrant serve` whose
stream is plain and one whose stream was created with DeliveryStreamEncryptionConfigurationInput
AWS_OWNED_CMK (every record sealed with AES-256-GCM in the WAL, delivered objects stored with
SSE). Prints each run and the medians; the ratio is encrypted / plain.

Usage: BUILD_DIR=build bench/encryption_cost.py
Env: REPEATS (3), DURATION (8), WARMUP (2), CONNECTIONS (16), RECORD_SIZES (100,1024)
"""
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from transform import BUILD_DIR, Server  # noqa: E402

REPEATS = int(os.environ.get("REPEATS", "3"))
DURATION = os.environ.get("DURATION", "8")
WARMUP = os.environ.get("WARMUP", "2")
CONNECTIONS = os.environ.get("CONNECTIONS", "16")
RECORD_SIZES = [int(s) for s in os.environ.get("RECORD_SIZES", "100,1024").split(",")]
STREAM, BUCKET = "bench-enc", "hydrant-bench"


def run_once(record_size, encrypted):
    server = Server()
    try:
        server.client("s3").create_bucket(Bucket=BUCKET)
        extra = {"DeliveryStreamEncryptionConfigurationInput": {"KeyType": "AWS_OWNED_CMK"}} if encrypted else {}
        server.client("firehose").create_delivery_stream(
            DeliveryStreamName=STREAM, ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::123456789012:role/hydrant-bench", "BucketARN": f"arn:aws:s3:::{BUCKET}",
                "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60}}, **extra)
        out = subprocess.run(
            [os.path.join(BUILD_DIR, "hydrant-loadgen"), "--endpoint", server.endpoint, "--stream", STREAM,
             "--create", "--op", "PutRecordBatch", "--records-per-request", "500", "--record-size", str(record_size),
             "--connections", CONNECTIONS, "--duration", DURATION, "--warmup", WARMUP, "--json",
             "--server-pid", str(server.proc.pid)],
            check=True, capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        return {"record_size": record_size, "encrypted": encrypted, "records_per_s": round(r["records_per_s"]),
                "mib_per_s": round(r["payload_mib_per_s"], 1), "errors": r["errors_total"],
                "p99_ms": r.get("latency_ms", {}).get("p99"),
                "server_cores": round(r.get("server_cpu_s", 0) / r["elapsed_s"], 2)}
    finally:
        server.stop()


def main():
    summary = {}
    for size in RECORD_SIZES:
        runs = {False: [], True: []}
        for _ in range(REPEATS):
            for encrypted in (False, True):
                result = run_once(size, encrypted)
                if result["errors"]:
                    raise RuntimeError(f"the load generator saw errors: {result}")
                print(json.dumps(result), flush=True)
                runs[encrypted].append(result["records_per_s"])
        plain, sealed = statistics.median(runs[False]), statistics.median(runs[True])
        summary[f"500x{size}B"] = {"plain_records_per_s": plain, "encrypted_records_per_s": sealed,
                                   "ratio": round(sealed / plain, 3)}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
