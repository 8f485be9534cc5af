#!/usr/bin/env python3
"""Record format conversion benchmark: JSON → Parquet MiB/s of JSON on one core, and file sizes.

RECORDS JSON records of about RECORD_SIZE bytes, with the fields hydrant-loadgen sends (ts, user,
action, status, ms, pad), converted by build/hydrant-parquet-sample (the product's
ParquetConverter: OpenXJsonSerDe, ParquetSerDe SNAPPY, dictionary on, 128 MiB row groups, 1 MiB
pages) REPEATS times; the conversion's own time (reading the records excluded) gives MiB/s.
The Parquet file's size is set beside the same records as one GZIP object (zlib level 1, as the
S3 destination's GZIP CompressionFormat writes them with ISA-L level 1).

Usage: BUILD_DIR=build bench/parquet_conversion.py
Env: RECORDS (100000), RECORD_SIZE (1024), REPEATS (5)
"""
import gzip
import json
import os
import random
import statistics
import subprocess
import tempfile

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
        print(json.dumps({"records": RECORDS, "record_size": RECORD_SIZE,
                          "median_mib_per_s": statistics.median(r["mib_per_s"] for r in runs),
                          "json_bytes": runs[0]["input_bytes"], "parquet_bytes": runs[0]["parquet_bytes"],
                          "gzip_json_bytes": gzip_bytes,
                          "parquet_vs_gzip": round(runs[0]["parquet_bytes"] / gzip_bytes, 3)}))


if __name__ == "__main__":
    main()
