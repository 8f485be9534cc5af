#!/usr/bin/env python3
"""HTTP endpoint destination benchmark: end-to-end records/s and MiB/s into a local receiver.

For each of REPEATS runs: start a fresh `hydrant serve`, create STREAMS streams with an
HttpEndpointDestinationConfiguration pointing at a receiver in this process (BUFFER_MB /
1 s buffering, ContentEncoding NONE or GZIP), send RECORDS records of RECORD_SIZE bytes with
hydrant-loadgen (PutRecordBatch, 500 per request), and wait until the receiver has acknowledged
every record. Records/s = RECORDS / (last record acknowledged - first request sent).

The receiver answers each POST as the spec asks (200, {"requestId","timestamp"}); it counts
records without decoding them (tests/e2e/firehose_receiver.py is the strict one), so that it
costs little of the two cores Hydrant and the load generator share with it.

Usage: BUILD_DIR=build bench/http_endpoint.py
Env: RECORDS (300000), RECORD_SIZE (1024), STREAMS (2), BUFFER_MB (5), REPEATS (3),
     CONNECTIONS (4), GZIP (0)
"""
import gzip
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from transform import BUILD_DIR, Server, wait_active  # noqa: E402

RECORDS = int(os.environ.get("RECORDS", "300000"))
RECORD_SIZE = int(os.environ.get("RECORD_SIZE", "1024"))
STREAMS = int(os.environ.get("STREAMS", "2"))
BUFFER_MB = int(os.environ.get("BUFFER_MB", "5"))
REPEATS = int(os.environ.get("REPEATS", "3"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "4"))
GZIP = os.environ.get("GZIP", "0") == "1"
PER_REQUEST = 500
ACCOUNT = "123456789012"


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    records = 0
    bodies = 0
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        request_id = self.headers["X-Amz-Firehose-Request-Id"]
        count = body.count(b'{"data":"')
        with Receiver.lock:
            Receiver.records += count
            Receiver.bodies += 1
        reply = json.dumps({"requestId": request_id, "timestamp": int(time.time() * 1000)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


def create_stream(server, name, url):
    fh = server.client("firehose")
    fh.create_delivery_stream(DeliveryStreamName=name, HttpEndpointDestinationConfiguration={
        "EndpointConfiguration": {"Url": url, "Name": "bench"},
        "BufferingHints": {"SizeInMBs": BUFFER_MB, "IntervalInSeconds": 1},
        "RequestConfiguration": {"ContentEncoding": "GZIP" if GZIP else "NONE"},
        "S3Configuration": {"RoleARN": f"arn:aws:iam::{ACCOUNT}:role/x",
                            "BucketARN": "arn:aws:s3:::http-bench-failed"}})
    wait_active(fh, name)


def run_once(run, url):
    server = Server()
    try:
        server.client("s3").create_bucket(Bucket="http-bench-failed")
        for i in range(STREAMS):
            create_stream(server, f"bench-http-{i}", url)
        with Receiver.lock:
            Receiver.records = Receiver.bodies = 0
        requests = RECORDS // PER_REQUEST
        total = requests * PER_REQUEST
        t0 = time.monotonic()
        out = subprocess.run(
            [os.path.join(BUILD_DIR, "hydrant-loadgen"), "--endpoint", server.endpoint,
             "--stream", "bench-http", "--streams", str(STREAMS), "--op", "PutRecordBatch",
             "--records-per-request", str(PER_REQUEST), "--record-size", str(RECORD_SIZE),
             "--connections", str(CONNECTIONS), "--requests", str(requests), "--json",
             "--server-pid", str(server.proc.pid)],
            check=True, capture_output=True, text=True).stdout
        t_sent = time.monotonic() - t0
        ingest = json.loads(out.strip().splitlines()[-1])
        while Receiver.records < total and time.monotonic() - t0 < 600:
            time.sleep(0.02)
        t_done = time.monotonic() - t0
        if Receiver.records != total:
            raise RuntimeError(f"the receiver acknowledged {Receiver.records} of {total} records")
        peak_rss_kib = int(next(line.split()[1] for line in open(f"/proc/{server.proc.pid}/status")
                                if line.startswith("VmHWM:")))
        return {"run": run, "records": total, "record_size": RECORD_SIZE, "gzip": GZIP,
                "streams": STREAMS, "buffer_mb": BUFFER_MB, "requests_to_endpoint": Receiver.bodies,
                "send_s": round(t_sent, 3), "end_to_end_s": round(t_done, 3),
                "records_per_s": round(total / t_done),
                "mib_per_s": round(total * RECORD_SIZE / t_done / 2**20, 1),
                "ingest_errors": ingest["errors_total"], "peak_rss_mib": round(peak_rss_kib / 1024)}
    finally:
        server.stop()


def main():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/firehose"
    results = []
    for run in range(REPEATS):
        result = run_once(run, url)
        print(json.dumps(result), flush=True)
        results.append(result)
    print(json.dumps({"median_records_per_s": statistics.median(r["records_per_s"] for r in results),
                      "median_mib_per_s": statistics.median(r["mib_per_s"] for r in results),
                      "median_peak_rss_mib": statistics.median(r["peak_rss_mib"] for r in results)}))
    httpd.shutdown()


if __name__ == "__main__":
    main()
