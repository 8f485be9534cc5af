#!/usr/bin/env python3
"""OpenSearch and Splunk destination benchmark: end-to-end documents/s and events/s.

For each of REPEATS runs and each KIND (opensearch, splunk): start a fresh `hydrant serve`,
create STREAMS streams delivering to a receiver in this process (BUFFER_MB / 1 s buffering for
OpenSearch, 5 MiB / 1 s for Splunk, its maximum), send RECORDS JSON records of RECORD_SIZE bytes
with hydrant-loadgen (PutRecordBatch, 500 per request), and wait until the receiver has taken
every record. Records/s = RECORDS / (last record taken - first request sent).

The receivers answer as OpenSearch's _bulk (one item per document, status 201) and Splunk's HEC
(/services/collector/raw, an ackId per request, every ack true at once) do, counting lines
without parsing them (tests/e2e/opensearch_receiver.py and splunk_receiver.py are the strict
ones), so that they cost little of the two cores Hydrant and the load generator share with them.

Usage: BUILD_DIR=build bench/search_destinations.py
Env: RECORDS (200000), RECORD_SIZE (1024), STREAMS (2), BUFFER_MB (5), REPEATS (3),
     CONNECTIONS (4), KINDS (opensearch,splunk)
"""
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

RECORDS = int(os.environ.get("RECORDS", "200000"))
RECORD_SIZE = int(os.environ.get("RECORD_SIZE", "1024"))
STREAMS = int(os.environ.get("STREAMS", "2"))
BUFFER_MB = int(os.environ.get("BUFFER_MB", "5"))
REPEATS = int(os.environ.get("REPEATS", "3"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "4"))
KINDS = os.environ.get("KINDS", "opensearch,splunk").split(",")
PER_REQUEST = 500
ROLE = "arn:aws:iam::123456789012:role/x"


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    records = 0
    requests = 0
    next_ack = 0
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path.startswith("/_bulk"):
            count = body.count(b"\n") // 2
            reply = b'{"took":1,"errors":false,"items":[' + b",".join(
                [b'{"index":{"_index":"i","_id":"x","_version":1,"result":"created","status":201}}'] * count) + b"]}"
        elif self.path.startswith("/services/collector/ack"):
            acks = json.loads(body)["acks"]
            reply = json.dumps({"acks": {str(a): True for a in acks}}).encode()
            count = 0
        else:  # /services/collector/raw
            count = body.count(b"\n")
            with Receiver.lock:
                ack, Receiver.next_ack = Receiver.next_ack, Receiver.next_ack + 1
            reply = json.dumps({"text": "Success", "code": 0, "ackId": ack}).encode()
        with Receiver.lock:
            Receiver.records += count
            Receiver.requests += 1 if count else 0
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


def create_stream(server, kind, name, url):
    fh = server.client("firehose")
    s3 = {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::bench-failed"}
    if kind == "opensearch":
        fh.create_delivery_stream(DeliveryStreamName=name, AmazonopensearchserviceDestinationConfiguration={
            "RoleARN": ROLE, "ClusterEndpoint": url, "IndexName": "bench",
            "BufferingHints": {"SizeInMBs": BUFFER_MB, "IntervalInSeconds": 1}, "S3Configuration": s3})
    else:
        fh.create_delivery_stream(DeliveryStreamName=name, SplunkDestinationConfiguration={
            "HECEndpoint": url, "HECEndpointType": "Raw", "HECToken": "t",
            "BufferingHints": {"SizeInMBs": min(BUFFER_MB, 5), "IntervalInSeconds": 1}, "S3Configuration": s3})
    wait_active(fh, name)


def run_once(kind, run, url):
    server = Server()
    try:
        server.client("s3").create_bucket(Bucket="bench-failed")
        for i in range(STREAMS):
            create_stream(server, kind, f"bench-{kind}-{i}", url)
        with Receiver.lock:
            Receiver.records = Receiver.requests = 0
        requests = RECORDS // PER_REQUEST
        total = requests * PER_REQUEST
        t0 = time.monotonic()
        out = subprocess.run(
            [os.path.join(BUILD_DIR, "hydrant-loadgen"), "--endpoint", server.endpoint,
             "--stream", f"bench-{kind}", "--streams", str(STREAMS), "--op", "PutRecordBatch",
             "--records-per-request", str(PER_REQUEST), "--record-size", str(RECORD_SIZE),
             "--connections", str(CONNECTIONS), "--requests", str(requests), "--json",
             "--server-pid", str(server.proc.pid)],
            check=True, capture_output=True, text=True).stdout
        ingest = json.loads(out.strip().splitlines()[-1])
        while Receiver.records < total and time.monotonic() - t0 < 600:
            time.sleep(0.02)
        t_done = time.monotonic() - t0
        if Receiver.records != total:
            raise RuntimeError(f"the receiver took {Receiver.records} of {total} records")
        peak_rss_kib = int(next(line.split()[1] for line in open(f"/proc/{server.proc.pid}/status")
                                if line.startswith("VmHWM:")))
        return {"kind": kind, "run": run, "records": total, "record_size": RECORD_SIZE, "streams": STREAMS,
                "requests_to_receiver": Receiver.requests, "end_to_end_s": round(t_done, 3),
                "records_per_s": round(total / t_done), "mib_per_s": round(total * RECORD_SIZE / t_done / 2**20, 1),
                "ingest_errors": ingest["errors_total"], "peak_rss_mib": round(peak_rss_kib / 1024)}
    finally:
        server.stop()


def main():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    summary = {}
    for kind in KINDS:
        results = []
        for run in range(REPEATS):
            result = run_once(kind, run, url)
            print(json.dumps(result), flush=True)
            results.append(result)
        summary[kind] = {"median_records_per_s": statistics.median(r["records_per_s"] for r in results),
                         "median_mib_per_s": statistics.median(r["mib_per_s"] for r in results),
                         "median_peak_rss_mib": statistics.median(r["peak_rss_mib"] for r in results)}
    print(json.dumps(summary))
    httpd.shutdown()


if __name__ == "__main__":
    main()
