#!/usr/bin/env python3
"""Record format conversion benchmark: JSON → Parquet MiB/s of JSON on one core, and file sizes.

RECORDS JSON records of about RECORD_SIZE bytes, with the fields hydrant-loadgen sends (ts, user,
action, status, ms, pad), converted by build/hydrant-parquet-sample (the product's
ParquetConverter: OpenXJsonSerDe, ParquetSerDe SNAPPY, dictionary on, 128 MiB row groups, 1 MiB
pages) REPEATS times; the conversion's own time (reading the records excluded) gives MiB/s.
The Parquet file's size is set beside the same records as one GZIP object (zlib level 1, as the
S3 destination's GZIP CompressionFormat writes them with ISA-L level 1).

End to end: a fresh `hydrant serve`, a Glue table of those fields, one stream with the
conversion (64 MiB / 1 s buffering), RECORDS records sent by hydrant-loadgen (PutRecordBatch, 500
per request, 4 connections), timed until /metrics counts every record delivered to S3.

Usage: BUILD_DIR=build bench/parquet_conversion.py
Env: RECORDS (100000), RECORD_SIZE (1024), REPEATS (5)
"""
import gzip
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from transform import Server, wait_active  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD_DIR = os.path.abspath(os.environ.get("BUILD_DIR", os.path.join(ROOT, "build")))
RECORDS = int(os.environ.get("RECORDS", "100000"))
RECORD_SIZE = int(os.environ.get("RECORD_SIZE", "1024"))
REPEATS = int(os.environ.get("REPEATS", "5"))
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
COLUMNS = [("ts", "bigint"), ("user", "string"), ("action", "string"), ("status", "int"), ("ms", "int"),
           ("pad", "string")]


def records():
    rng = random.Random(1)
    out = []
    for i in range(RECORDS):
        head = {"ts": 1764250000000 + i * 7, "user": f"u{rng.randrange(10000)}",
                "action": rng.choice(["login", "logout", "view", "click", "buy"]),
                "status": rng.choice([200, 201, 404, 500]), "ms": rng.randrange(2000)}
        text = json.dumps(head)[:-1] + ', "pad": "'
        pad = []
        while len(text) + len(" ".join(pad)) + 3 < RECORD_SIZE:
            pad.append(rng.choice(WORDS))
        out.append((text + " ".join(pad))[:RECORD_SIZE - 3] + '"}\n')
    return out


def end_to_end(run):
    server = Server()
    try:
        glue = server.client("glue")
        glue.create_database(DatabaseInput={"Name": "bench"})
        glue.create_table(DatabaseName="bench", TableInput={"Name": "events", "StorageDescriptor": {
            "Columns": [{"Name": n, "Type": t} for n, t in COLUMNS]}})
        server.client("s3").create_bucket(Bucket="bench-parquet")
        fh = server.client("firehose")
        role = "arn:aws:iam::123456789012:role/x"
        fh.create_delivery_stream(DeliveryStreamName="bench-pq", ExtendedS3DestinationConfiguration={
            "RoleARN": role, "BucketARN": "arn:aws:s3:::bench-parquet",
            "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 1},
            "DataFormatConversionConfiguration": {
                "SchemaConfiguration": {"DatabaseName": "bench", "TableName": "events", "RoleARN": role},
                "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
                "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {}}}}})
        wait_active(fh, "bench-pq")
        total = RECORDS // 500 * 500
        t0 = time.monotonic()
        subprocess.run([os.path.join(BUILD_DIR, "hydrant-loadgen"), "--endpoint", server.endpoint, "--stream", "bench-pq",
                        "--op", "PutRecordBatch", "--records-per-request", "500", "--record-size", str(RECORD_SIZE),
                        "--connections", "4", "--requests", str(total // 500), "--json"],
                       check=True, capture_output=True, text=True)
        delivered = 0
        while time.monotonic() - t0 < 600:
            text = urllib.request.urlopen(server.endpoint + "/metrics").read().decode()
            match = re.search(r'^firehose_delivery_to_s3_records_total\{[^}]*stream="bench-pq"[^}]*\} (\d+)', text, re.M)
            delivered = int(match.group(1)) if match else 0
            if delivered >= total:
                break
            time.sleep(0.05)
        seconds = time.monotonic() - t0
        if delivered != total:
            raise RuntimeError(f"{delivered} of {total} records delivered")
        return {"run": run, "end_to_end_s": round(seconds, 3), "records_per_s": round(total / seconds),
                "mib_per_s": round(total * RECORD_SIZE / seconds / 2**20, 1)}
    finally:
        server.stop()


def main():
    data = records()
    with tempfile.TemporaryDirectory() as tmp:
        spec = os.path.join(tmp, "spec.json")
        with open(spec, "w") as f:
            json.dump({"columns": [{"name": n, "type": t} for n, t in COLUMNS], "records": data,
                       "compression": "SNAPPY", "dictionary": True, "block_bytes": 128 << 20}, f)
        runs = []
        for run in range(REPEATS):
            result = subprocess.run([os.path.join(BUILD_DIR, "hydrant-parquet-sample"), spec,
                                     os.path.join(tmp, "out.parquet")], check=True, capture_output=True, text=True)
            assert json.loads(result.stdout)["rows"] == RECORDS
            figures = json.loads(result.stderr.strip().splitlines()[-1])
            figures["mib_per_s"] = round(figures["input_bytes"] / figures["convert_seconds"] / 2**20, 1)
            runs.append(figures)
            print(json.dumps({"run": run, **figures}), flush=True)
        gzip_bytes = len(gzip.compress("".join(data).encode(), 1))
        e2e = []
        for run in range(REPEATS):
            e2e.append(end_to_end(run))
            print(json.dumps(e2e[-1]), flush=True)
        print(json.dumps({"records": RECORDS, "record_size": RECORD_SIZE,
                          "median_mib_per_s": statistics.median(r["mib_per_s"] for r in runs),
                          "json_bytes": runs[0]["input_bytes"], "parquet_bytes": runs[0]["parquet_bytes"],
                          "gzip_json_bytes": gzip_bytes,
                          "parquet_vs_gzip": round(runs[0]["parquet_bytes"] / gzip_bytes, 3),
                          "median_end_to_end_mib_per_s": statistics.median(r["mib_per_s"] for r in e2e)}))


if __name__ == "__main__":
    main()
