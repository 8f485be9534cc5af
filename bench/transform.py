#!/usr/bin/env python3
"""Transformed-stream benchmark: end-to-end records/s and per-invocation overhead (see README.md).

For each scenario (none, delimiter, identity) and each of REPEATS runs: start a fresh
`hydrant serve`, create the bucket, (for identity) the Python identity function, and STREAMS
streams whose ProcessingConfiguration applies the processor; send RECORDS records of 100 B with
hydrant-loadgen (--requests, at full speed) and poll the embedded S3 store until every byte has
arrived transformed. Records/s = RECORDS / (last byte delivered - first request sent).

Overhead: the identity handler appends "pid start_ns end_ns records" (CLOCK_MONOTONIC) per
invocation to a file. (1) Delivery path: per worker, the gap between the end of one handler
call and the start of the next while data is waiting = everything that is not the handler
(runtime JSON decode/encode in bootstrap.py, Runtime API hops, Hydrant's event build, response
check and apply) -- an upper bound, it includes any wait for the next buffer. (2) Invoke API:
serial Invokes of a 1-record and a 1 MiB Firehose event; client wall time minus the handler's
own time (the 1-record figure is the fixed per-invocation cost of Hydrant + runtime).

Usage: BUILD_DIR=build bench/transform.py
Env: RECORDS (1000000), STREAMS (2), BUFFER_MB (1), REPEATS (3), CONNECTIONS (4), INVOKES (30), ONLY, DATA_PARENT
"""
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

import boto3
from botocore.config import Config

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD_DIR = os.path.abspath(os.environ.get("BUILD_DIR", os.path.join(ROOT, "build")))
RECORDS = int(os.environ.get("RECORDS", "1000000"))
REPEATS = int(os.environ.get("REPEATS", "3"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "4"))
STREAMS = int(os.environ.get("STREAMS", "2"))  # one stream's deliveries run one at a time
BUFFER_MB = int(os.environ.get("BUFFER_MB", "1"))  # the streams' S3 BufferingHints.SizeInMBs
INVOKES = int(os.environ.get("INVOKES", "30"))
ONLY = [s for s in os.environ.get("ONLY", "").split(",") if s]
DATA_PARENT = os.environ.get("DATA_PARENT", tempfile.gettempdir())
RECORD_SIZE = 100
PER_REQUEST = 500
BUCKET = "transform-bench"
ACCOUNT = "123456789012"

IDENTITY_SOURCE = '''
import os, time
_LOG = open("{timing}", "a", buffering=1)
def handler(event, context):
    start = time.monotonic_ns()
    out = [{{"recordId": r["recordId"], "result": "Ok", "data": r["data"]}} for r in event["records"]]
    end = time.monotonic_ns()
    _LOG.write(f"{{os.getpid()}} {{start}} {{end}} {{len(out)}}\\n")
    return {{"records": out}}
'''

SCENARIOS = {
    # name: (processors, delivered bytes per record)
    "none": (None, RECORD_SIZE),
    "delimiter": ([{"Type": "AppendDelimiterToRecord"}], RECORD_SIZE + 1),
    "identity": ([{"Type": "Lambda", "Parameters": [{
        "ParameterName": "LambdaArn",
        "ParameterValue": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:identity"}]}], RECORD_SIZE),
}


def log(msg):
    print(f"transform.py: {msg}", file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, extra_args=()):
        self.port = free_port()
        self.data_dir = tempfile.mkdtemp(prefix="hydrant-transform-", dir=DATA_PARENT)
        self.log_path = self.data_dir + ".log"
        self.proc = subprocess.Popen(
            [os.path.join(BUILD_DIR, "hydrant"), "serve", "--listen", f"127.0.0.1:{self.port}",
             "--data-dir", self.data_dir, "--runtime-dir", os.path.join(ROOT, "runtime"), *extra_args],
            stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)
        self.endpoint = f"http://127.0.0.1:{self.port}"
        for _ in range(300):
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + open(self.log_path).read())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server not answering")

    def client(self, service):
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=Config(s3={"addressing_style": "path"},
                                          retries={"max_attempts": 1}, read_timeout=120))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        os.unlink(self.log_path)


def create_identity(server, timing_file):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("fn.py", IDENTITY_SOURCE.format(timing=timing_file))
    server.client("lambda").create_function(
        FunctionName="identity", Runtime="python3.11", Handler="fn.handler",
        Role=f"arn:aws:iam::{ACCOUNT}:role/x", Code={"ZipFile": buf.getvalue()})


def create_stream(server, name, processors):
    dest = {"RoleARN": f"arn:aws:iam::{ACCOUNT}:role/x", "BucketARN": f"arn:aws:s3:::{BUCKET}",
            "Prefix": f"{name}/", "ErrorOutputPrefix": "errors/",
            "BufferingHints": {"SizeInMBs": BUFFER_MB, "IntervalInSeconds": 1}}
    if processors:
        dest["ProcessingConfiguration"] = {"Enabled": True, "Processors": processors}
    fh = server.client("firehose")
    fh.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration=dest)
    wait_active(fh, name)


def wait_active(fh, name):
    for _ in range(100):
        if fh.describe_delivery_stream(DeliveryStreamName=name)[
                "DeliveryStreamDescription"]["DeliveryStreamStatus"] == "ACTIVE":
            return
        time.sleep(0.1)
    raise RuntimeError("stream not ACTIVE")


def delivered_bytes(s3, prefix, bucket=BUCKET):
    total, kwargs = 0, {"Bucket": bucket, "Prefix": prefix}
    while True:
        page = s3.list_objects_v2(**kwargs)
        total += sum(o["Size"] for o in page.get("Contents", []))
        if not page.get("IsTruncated"):
            return total
        kwargs["ContinuationToken"] = page["NextContinuationToken"]


def handler_gaps(timing_file, since_ns):
    """Per worker, end->next start gaps (ms) of invocations that started after since_ns."""
    by_pid = {}
    for line in open(timing_file):
        pid, start, end, n = map(int, line.split())
        if start >= since_ns:
            by_pid.setdefault(pid, []).append((start, end, n))
    gaps, handler_ms, counts = [], [], []
    for calls in by_pid.values():
        calls.sort()
        for (s0, e0, _), (s1, _, _) in zip(calls, calls[1:]):
            gaps.append((s1 - e0) / 1e6)
        handler_ms += [(e - s) / 1e6 for s, e, _ in calls]
        counts += [n for _, _, n in calls]
    return gaps, handler_ms, counts, len(by_pid)


def run_once(scenario, run):
    processors, bytes_per_record = SCENARIOS[scenario]
    server = Server()
    timing_file = server.data_dir + ".timing"
    try:
        s3 = server.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        if scenario == "identity":
            create_identity(server, timing_file)
        stream = f"bench-{scenario}"
        for i in range(STREAMS):
            create_stream(server, f"{stream}-{i}", processors)
        requests = RECORDS // PER_REQUEST
        expected = requests * PER_REQUEST * bytes_per_record
        t0 = time.monotonic()
        t0_ns = time.monotonic_ns()
        out = subprocess.run(
            [os.path.join(BUILD_DIR, "hydrant-loadgen"), "--endpoint", server.endpoint,
             "--stream", stream, "--streams", str(STREAMS), "--op", "PutRecordBatch", "--records-per-request", str(PER_REQUEST),
             "--record-size", str(RECORD_SIZE), "--connections", str(CONNECTIONS),
             "--requests", str(requests), "--verify", "--json", "--server-pid", str(server.proc.pid)],
            check=True, capture_output=True, text=True).stdout
        t_sent = time.monotonic() - t0
        ingest = json.loads(out.strip().splitlines()[-1])
        got = 0
        while got < expected and time.monotonic() - t0 < 600:
            time.sleep(0.05)
            got = delivered_bytes(s3, stream)
        t_done = time.monotonic() - t0
        errors = delivered_bytes(s3, "errors/")
        if got != expected or errors:
            raise RuntimeError(f"delivered {got} of {expected} bytes, {errors} bytes of errors")
        result = {"scenario": scenario, "run": run, "records": requests * PER_REQUEST,
                  "send_s": round(t_sent, 3), "end_to_end_s": round(t_done, 3),
                  "records_per_s": round(requests * PER_REQUEST / t_done),
                  "ingest_errors": ingest["errors_total"],
                  "server_cpu_s": ingest.get("server_cpu_s")}
        if scenario == "identity":
            gaps, handler_ms, counts, workers = handler_gaps(timing_file, t0_ns)
            result.update({
                "workers_seen": workers, "invocations": len(handler_ms),
                "records_per_invocation_median": statistics.median(counts),
                "handler_ms_median": round(statistics.median(handler_ms), 3),
                "handler_ms_total": round(sum(handler_ms), 1),
                "gap_ms_median": round(statistics.median(gaps), 3) if gaps else None,
                "gap_ms_p10": round(statistics.quantiles(gaps, n=10)[0], 3) if len(gaps) > 9 else None,
            })
            result["invoke_api"] = invoke_overhead(server, timing_file)
        return result
    finally:
        server.stop()
        if os.path.exists(timing_file):
            os.unlink(timing_file)


def firehose_event(n):
    import base64
    data = base64.b64encode(b"x" * (RECORD_SIZE - 1) + b"\n").decode()
    event = json.dumps({
        "invocationId": "bench", "deliveryStreamArn": "arn", "region": "us-east-1",
        "records": [{"recordId": f"{i:056d}", "approximateArrivalTimestamp": 1764250000000,
                     "data": data} for i in range(n)]}).encode()
    reply = json.dumps({"records": [{"recordId": f"{i:056d}", "result": "Ok", "data": data}
                                    for i in range(n)]}).encode()
    return event, reply


def invoke_series(server, timing_file, n):
    """Serial Invokes of an n-record Firehose event on an otherwise idle server."""
    import http.client
    event, reply = firehose_event(n)
    # bootstrap.py's own work per invocation outside the handler: json.loads of the event and
    # json.dumps of the result (measured here, same interpreter and Python version).
    t = time.perf_counter()
    for _ in range(5):
        json.loads(event)
        json.dumps(json.loads(reply)).encode()
    json_ms = (time.perf_counter() - t) / 5 * 1000
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    path = "/2015-03-31/functions/identity/invocations"
    walls = []
    for i in range(INVOKES + 2):
        before = sum(1 for _ in open(timing_file))
        t = time.monotonic_ns()
        conn.request("POST", path, body=event, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        body = resp.read()
        wall = (time.monotonic_ns() - t) / 1e6
        if resp.status != 200 or len(json.loads(body)["records"]) != n:
            raise RuntimeError(f"invoke failed: {resp.status} {body[:200]}")
        _, s, e, _ = map(int, open(timing_file).read().splitlines()[before:][-1].split())
        if i >= 2:  # the first calls warm both workers
            walls.append((wall, (e - s) / 1e6))
    over = [w - h for w, h in walls]
    return {"records": n, "event_bytes": len(event), "invokes": len(walls),
            "wall_ms_median": round(statistics.median(w for w, _ in walls), 3),
            "handler_ms_median": round(statistics.median(h for _, h in walls), 3),
            "wall_minus_handler_ms_median": round(statistics.median(over), 3),
            "wall_minus_handler_ms_min": round(min(over), 3),
            "bootstrap_json_ms": round(json_ms, 3)}


def invoke_overhead(server, timing_file):
    return [invoke_series(server, timing_file, n) for n in (1, 1024 * 1024 // RECORD_SIZE)]


def main():
    names = ONLY or list(SCENARIOS)
    print(f"# hydrant transform bench {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}; "
          f"{RECORDS} x {RECORD_SIZE} B records per run over {STREAMS} streams, {CONNECTIONS} connections, "
          f"BufferingHints {BUFFER_MB} MiB / 1 s, {REPEATS} runs; load average before: "
          f"{open('/proc/loadavg').read().split()[:3]}", flush=True)
    results = {}
    for name in names:
        for run in range(1, REPEATS + 1):
            r = run_once(name, run)
            print(json.dumps(r), flush=True)
            results.setdefault(name, []).append(r)
    print("\nscenario\trec/s end-to-end (median)\tall runs\tsend s (median)")
    for name, runs in results.items():
        print(f"{name}\t{statistics.median(r['records_per_s'] for r in runs):.0f}\t"
              f"{[r['records_per_s'] for r in runs]}\t"
              f"{statistics.median(r['send_s'] for r in runs):.2f}")
    if "identity" in results:
        runs = results["identity"]
        med = lambda f: statistics.median(f(r) for r in runs)
        print(f"identity delivery path: invocations/run {med(lambda r: r['invocations'])}, "
              f"records/invocation {med(lambda r: r['records_per_invocation_median'])}, "
              f"handler ms {med(lambda r: r['handler_ms_median'])}, "
              f"gap between handler calls ms (median of run medians) {med(lambda r: r['gap_ms_median'])}, "
              f"p10 {med(lambda r: r['gap_ms_p10'])}")
        for k in range(2):
            inv = [r["invoke_api"][k] for r in runs]
            m = lambda key: statistics.median(i[key] for i in inv)
            print(f"identity Invoke API ({inv[0]['records']} record(s), {inv[0]['event_bytes']} B event, "
                  f"serial): wall ms {m('wall_ms_median')}, handler ms {m('handler_ms_median')}, "
                  f"wall - handler ms {m('wall_minus_handler_ms_median')} "
                  f"(min {m('wall_minus_handler_ms_min')}), of which bootstrap JSON decode+encode "
                  f"~{m('bootstrap_json_ms')} ms")

if __name__ == "__main__":
    main()
