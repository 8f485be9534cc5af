#!/usr/bin/env python3
"""Redshift destination benchmark: rows/s loaded end to end into PostgreSQL.

Starts a real PostgreSQL (tests/e2e/postgres_server.py: Debian's postgresql, initdb in a temporary
directory, fsync on). For each of REPEATS runs: a fresh `hydrant serve`, STREAMS streams with a
Redshift destination (JSON 'auto', BUFFER_MB / 1 s buffering of the intermediate bucket in the
embedded store) into one table per stream, RECORDS JSON records of RECORD_SIZE bytes sent with
hydrant-loadgen (PutRecordBatch, 500 per request), and the time until every row is in the tables
(polled with count(*)). Rows/s = RECORDS / (last row committed - first request sent). Each batch
is staged (object + manifest, fsync'd) and loaded in one transaction with its manifest's row.

Usage: BUILD_DIR=build bench/redshift.py
Env: RECORDS (200000), RECORD_SIZE (1024), STREAMS (2), BUFFER_MB (5), REPEATS (3), CONNECTIONS (4)
"""
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from postgres_server import LOADER_PASSWORD, LOADER_USER, PostgresServer  # noqa: E402
from transform import BUILD_DIR, Server, wait_active  # noqa: E402

RECORDS = int(os.environ.get("RECORDS", "200000"))
RECORD_SIZE = int(os.environ.get("RECORD_SIZE", "1024"))
STREAMS = int(os.environ.get("STREAMS", "2"))
BUFFER_MB = int(os.environ.get("BUFFER_MB", "5"))
REPEATS = int(os.environ.get("REPEATS", "3"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "4"))
PER_REQUEST = 500
ROLE = "arn:aws:iam::123456789012:role/x"
# The columns of hydrant-loadgen's records ({"ts","user","action","status","ms","pad"}).
COLUMNS = "ts bigint, \"user\" varchar(16), action varchar(16), status integer, ms integer, pad varchar(2048)"


def run_once(pg, run):
    tables = [f"bench_{run}_{i}" for i in range(STREAMS)]
    for t in tables:
        pg.sql(f"DROP TABLE IF EXISTS {t}; CREATE TABLE {t} ({COLUMNS})", user=LOADER_USER, password=LOADER_PASSWORD)
    server = Server()
    try:
        fh = server.client("firehose")
        server.client("s3").create_bucket(Bucket="bench-staging")
        for i, t in enumerate(tables):
            fh.create_delivery_stream(DeliveryStreamName=f"bench-rs-{i}", RedshiftDestinationConfiguration={
                "RoleARN": ROLE, "ClusterJDBCURL": pg.jdbc_url, "Username": LOADER_USER, "Password": LOADER_PASSWORD,
                "CopyCommand": {"DataTableName": t, "CopyOptions": "JSON 'auto'"},
                "S3Configuration": {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::bench-staging", "Prefix": f"{t}/",
                                    "BufferingHints": {"SizeInMBs": BUFFER_MB, "IntervalInSeconds": 1}}})
            wait_active(fh, f"bench-rs-{i}")
        requests = RECORDS // PER_REQUEST
        total = requests * PER_REQUEST
        t0 = time.monotonic()
        out = subprocess.run(
            [os.path.join(BUILD_DIR, "hydrant-loadgen"), "--endpoint", server.endpoint,
             "--stream", "bench-rs", "--streams", str(STREAMS), "--op", "PutRecordBatch",
             "--records-per-request", str(PER_REQUEST), "--record-size", str(RECORD_SIZE),
             "--connections", str(CONNECTIONS), "--requests", str(requests), "--json",
             "--server-pid", str(server.proc.pid)],
            check=True, capture_output=True, text=True).stdout
        ingest = json.loads(out.strip().splitlines()[-1])
        count_sql = " + ".join(f"(SELECT count(*) FROM {t})" for t in tables)
        loaded = 0
        while time.monotonic() - t0 < 600:
            loaded = int(pg.sql(f"SELECT {count_sql}")[0][0])
            if loaded >= total:
                break
            time.sleep(0.1)
        t_done = time.monotonic() - t0
        if loaded != total:
            raise RuntimeError(f"{loaded} of {total} rows loaded")
        peak_rss_kib = int(next(line.split()[1] for line in open(f"/proc/{server.proc.pid}/status")
                                if line.startswith("VmHWM:")))
        return {"run": run, "records": total, "record_size": RECORD_SIZE, "streams": STREAMS,
                "end_to_end_s": round(t_done, 3), "rows_per_s": round(total / t_done),
                "mib_per_s": round(total * RECORD_SIZE / t_done / 2**20, 1),
                "ingest_errors": ingest["errors_total"], "peak_rss_mib": round(peak_rss_kib / 1024)}
    finally:
        server.stop()


def main():
    with PostgresServer() as pg:
        results = []
        for run in range(REPEATS):
            result = run_once(pg, run)
            print(json.dumps(result), flush=True)
            results.append(result)
        print(json.dumps({"median_rows_per_s": statistics.median(r["rows_per_s"] for r in results),
                          "median_mib_per_s": statistics.median(r["mib_per_s"] for r in results),
                          "median_peak_rss_mib": statistics.median(r["peak_rss_mib"] for r in results)}))


if __name__ == "__main__":
    main()
