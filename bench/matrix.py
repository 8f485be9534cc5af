#!/usr/bin/env python3
"""The benchmark matrix behind `make bench` / bench/run.sh: every scenario, moto side by side, the
machine's ceilings, one RESULTS.md (see README.md, "The matrix").

Order: ceilings (fsync write bandwidth, loopback HTTP through Hydrant's own HTTP layer with a
handler that answers at once, parse/decode of the request bodies), then the ingest scenarios on
Hydrant, then the same client load on moto, then the end-to-end scripts (compression.py,
transform.py, partitions.py, backlog.py, many_streams.py, http_endpoint.py, streams_load.py). Each ingest scenario gets a fresh server (new data dir, free port):
REPEATS closed-loop runs at the maximum rate (peak), REPEATS open-loop runs at 50 % and at 90 % of
the median peak request rate, and on Hydrant, when p99 at 90 % is above 50 ms, REPEATS runs at
80 %, 70 %, ... until one keeps p99 within 50 ms (the sustained rate); while the 50 % runs send, a
probe measures freshness (PutRecord of
one record to a stream configured like the scenario's but with IntervalInSeconds 0, then
ListObjectsV2 every POLL_S until its object is listed).

Env: QUICK=1 (short runs, 1 repeat, smaller end-to-end scripts: a check, not figures),
     BUILD_DIR (build), DURATION, WARMUP, REPEATS, CONNECTIONS, ONLY (comma-separated section or
     scenario names: ceilings, hydrant, moto, e2e, or e.g. batch-500x100B), DATA_PARENT (/tmp:
     put it on the disk you mean to measure), OUT (bench/RESULTS.md; QUICK: $TMPDIR/hydrant-bench-quick/
     RESULTS.md; raw JSON lines next to it as .jsonl), MOTO=0 to leave moto out, SERVER_ARGS (extra
     `hydrant serve` arguments).
"""
import base64
import io
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
QUICK = os.environ.get("QUICK", "0") == "1"
BUILD_DIR = os.path.abspath(os.environ.get("BUILD_DIR", os.path.join(ROOT, "build")))
DURATION = float(os.environ.get("DURATION", "3" if QUICK else "8"))
WARMUP = float(os.environ.get("WARMUP", "1" if QUICK else "2"))
REPEATS = int(os.environ.get("REPEATS", "1" if QUICK else "3"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "16"))
ONLY = [s for s in os.environ.get("ONLY", "").split(",") if s]
DATA_PARENT = os.environ.get("DATA_PARENT", tempfile.gettempdir())
# QUICK figures mean nothing: by default they go where they cannot replace real ones.
OUT = os.path.abspath(os.environ.get("OUT", os.path.join(
    tempfile.gettempdir(), "hydrant-bench-quick", "RESULTS.md") if QUICK else os.path.join(ROOT, "bench", "RESULTS.md")))
SERVER_ARGS = os.environ.get("SERVER_ARGS", "").split()
RAW = os.path.splitext(OUT)[0] + ".jsonl"
MOTO = os.environ.get("MOTO", "1") == "1"
FRACTIONS = (0.5, 0.9)
# When the 90 % run's p99 is above SUSTAINED_P99_MS, the highest of these fractions of the peak
# whose p99 stays within it is the scenario's sustained rate (the headline when the peak is not).
SUSTAINED_P99_MS = 50
SUSTAINED_FRACTIONS = (0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1)
FRESHNESS_FRACTION = 0.5
STOP_WAIT_S = 10  # SIGTERM drains (delivers) every buffer; a backlog past this is not waited for (the data dir goes anyway)
POLL_S = 0.02
ACCOUNT = "123456789012"
BUCKET = "hydrant-bench"  # hydrant-loadgen's default --bucket
MIB, GIB = 1 << 20, 1 << 30

B100 = ["--op", "PutRecordBatch", "--records-per-request", "500", "--record-size", "100"]
B1K = ["--op", "PutRecordBatch", "--records-per-request", "500", "--record-size", "1024"]
# name: (hydrant-loadgen options, stream kind, also on moto, what it shows)
SCENARIOS = {
    "batch-500x100B": (B100, "plain", True, "per-record cost: framing and bookkeeping dominate"),
    "batch-500x1KiB": (B1K, "plain", True, "bulk ingest, 1 stream: bytes through parse, decode, WAL fsync"),
    "batch-10x100KiB": (["--op", "PutRecordBatch", "--records-per-request", "10", "--record-size", "102400"],
                        "plain", False, "large records: per-byte cost alone"),
    "single-1KiB": (["--op", "PutRecord", "--record-size", "1024"], "plain", True,
                    "PutRecord: per-request cost (HTTP, SigV4, group commit)"),
    "one-connection-500x1KiB": (B1K + ["--connections", "1"], "plain", False,
                                "one connection (the tutorial's producer): each request waits for its own sync"),
    "one-connection-500x100B": (B100 + ["--connections", "1"], "plain", False,
                                "one connection, 100 B records"),
    "streams-10": (B1K + ["--streams", "10"], "plain", False, "500 x 1 KiB spread over 10 streams"),
    "streams-200": (B1K + ["--streams", "200"], "plain", False, "500 x 1 KiB spread over 200 streams"),
    "gzip-500x1KiB": (B1K, "gzip", False, "GZIP CompressionFormat (ISA-L) on the delivery path"),
    "lambda-identity-500x100B": (B100, "identity", False, "Lambda identity function (Python 3.11, 2 workers)"),
    "partitions-100-500x1KiB": (B1K, "partitions", False,
                                "dynamic partitioning, jq MetadataExtraction into 100 partitions"),
}
# What a request shape is called in the ceilings (HTTP and parse), per scenario.
SHAPE = {"batch-500x100B": "batch-500x100B", "batch-500x1KiB": "batch-500x1KiB",
         "batch-10x100KiB": "batch-10x100KiB", "single-1KiB": "single-1KiB",
         "one-connection-500x1KiB": "batch-500x1KiB", "one-connection-500x100B": "batch-500x100B",
         "streams-10": "batch-500x1KiB", "streams-200": "batch-500x1KiB",
         "gzip-500x1KiB": "batch-500x1KiB", "lambda-identity-500x100B": "batch-500x100B",
         "partitions-100-500x1KiB": "batch-500x1KiB"}
# The scenarios whose request cost is compared with the write + fdatasync of its bytes plus its parse.
ONE_CONNECTION = ("one-connection-500x1KiB", "one-connection-500x100B")
SHAPE_OPTS = {"batch-500x100B": B100, "batch-500x1KiB": B1K,
              "batch-10x100KiB": SCENARIOS["batch-10x100KiB"][0], "single-1KiB": SCENARIOS["single-1KiB"][0]}

IDENTITY_SOURCE = '''
def handler(event, context):
    return {"records": [{"recordId": r["recordId"], "result": "Ok", "data": r["data"]}
                        for r in event["records"]]}
'''


def log(msg):
    print(f"matrix.py: {time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


def selected(*names):
    return not ONLY or any(n in ONLY for n in names)


def loadavg():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def vm_hwm_kib(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def raw(record):
    with open(RAW, "a") as f:
        f.write(json.dumps(record) + "\n")


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


class Server:
    """A fresh Hydrant (new data dir) or moto on a free port; stops and cleans up on stop()."""

    def __init__(self, target):
        self.target = target
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.data_dir = tempfile.mkdtemp(prefix="hydrant-matrix-", dir=DATA_PARENT)
        self.log_file = open(self.data_dir + ".log", "w")
        if target == "hydrant":
            cmd = [os.path.join(BUILD_DIR, "hydrant"), "serve", "--listen", f"127.0.0.1:{self.port}",
                   "--data-dir", self.data_dir, "--runtime-dir", os.path.join(ROOT, "runtime")] + SERVER_ARGS
            health = "/health"
        else:
            cmd = [sys.executable, "-m", "moto.server", "-p", str(self.port)]
            health = "/"
        self.proc = subprocess.Popen(cmd, stdout=self.log_file, stderr=subprocess.STDOUT)
        for _ in range(300):
            if self.proc.poll() is not None:
                raise RuntimeError(f"{target} exited: " + open(self.data_dir + ".log").read()[-2000:])
            try:
                with urllib.request.urlopen(self.endpoint + health, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{target} not answering on {self.port}")

    def client(self, service):
        import boto3
        from botocore.config import Config
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=Config(s3={"addressing_style": "path"},
                                          retries={"max_attempts": 1}, read_timeout=120))

    def stop(self):
        """SIGTERM, SIGKILL after STOP_WAIT_S; returns the seconds to exit (None: killed)."""
        t0, took = time.monotonic(), None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_WAIT_S)
                took = time.monotonic() - t0
            except subprocess.TimeoutExpired:
                log(f"{self.target} still draining after {STOP_WAIT_S} s of SIGTERM: SIGKILL")
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        os.unlink(self.data_dir + ".log")
        return took


def destination(kind, prefix, size_mb, interval_s):
    """ExtendedS3DestinationConfiguration of a stream of `kind`."""
    dest = {"RoleARN": f"arn:aws:iam::{ACCOUNT}:role/x", "BucketARN": f"arn:aws:s3:::{BUCKET}",
            "Prefix": prefix, "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
            "BufferingHints": {"SizeInMBs": size_mb, "IntervalInSeconds": interval_s}}
    if kind == "gzip":
        dest["CompressionFormat"] = "GZIP"
    elif kind == "identity":
        dest["ProcessingConfiguration"] = {"Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": [
            {"ParameterName": "LambdaArn",
             "ParameterValue": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:identity"}]}]}
    elif kind == "partitions":
        # The generator's users u0..u9999 spread evenly over 100 partitions (as partitions.py).
        dest["Prefix"] = prefix + "p=!{partitionKeyFromQuery:p}/"
        dest["DynamicPartitioningConfiguration"] = {"Enabled": True}
        dest["BufferingHints"]["SizeInMBs"] = max(size_mb, 64)  # the service's minimum with partitioning
        dest["ProcessingConfiguration"] = {"Enabled": True, "Processors": [{"Type": "MetadataExtraction", "Parameters": [
            {"ParameterName": "MetadataExtractionQuery",
             "ParameterValue": "{p: ((.user[1:] | tonumber) % 100 | tostring)}"},
            {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]}]}
    return dest


def create_stream(fh, name, dest):
    fh.create_delivery_stream(DeliveryStreamName=name, DeliveryStreamType="DirectPut",
                              ExtendedS3DestinationConfiguration=dest)
    for _ in range(300):
        if fh.describe_delivery_stream(DeliveryStreamName=name)[
                "DeliveryStreamDescription"]["DeliveryStreamStatus"] == "ACTIVE":
            return
        time.sleep(0.1)
    raise RuntimeError(f"stream {name} not ACTIVE")


def setup(server, name, kind):
    """Bucket, function, the scenario's stream (unless hydrant-loadgen --create makes it) and the
    freshness probe's stream. Returns extra hydrant-loadgen options."""
    s3, fh = server.client("s3"), server.client("firehose")
    s3.create_bucket(Bucket=BUCKET)
    if kind == "identity":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("fn.py", IDENTITY_SOURCE)
        server.client("lambda").create_function(
            FunctionName="identity", Runtime="python3.11", Handler="fn.handler",
            Role=f"arn:aws:iam::{ACCOUNT}:role/x", Code={"ZipFile": buf.getvalue()})
    if kind != "plain":  # the service's default BufferingHints, as --create uses
        create_stream(fh, f"bench-{name}", destination(kind, "data/", 5, 300))
    # The probe: same processing, delivered as soon as a record arrives (partitioned streams
    # cannot have zero buffering, as in the service: 1 s, the least they allow).
    create_stream(fh, "freshness-probe", destination(kind, "fresh/", 1, probe_interval_s(kind)))
    return [] if kind != "plain" else ["--create"]


def probe_interval_s(kind):
    return 1 if kind == "partitions" else 0


PROBE_RECORD = (json.dumps({"ts": 0, "user": "u7", "action": "probe", "pad": "x" * 60}) + "\n").encode()


def probe_freshness(server, until):
    """PutRecord to the probe stream, then list until a new object appears; repeat until
    `until()` is true. Returns the put->listed seconds of each probe."""
    fh, s3 = server.client("firehose"), server.client("s3")
    samples, listed = [], 0
    while not until():
        t0 = time.monotonic()
        fh.put_record(DeliveryStreamName="freshness-probe", Record={"Data": PROBE_RECORD})
        while time.monotonic() - t0 < 60:
            n = s3.list_objects_v2(Bucket=BUCKET, Prefix="fresh/").get("KeyCount", 0)
            if n > listed:
                samples.append(time.monotonic() - t0)
                listed = n
                break
            time.sleep(POLL_S)
        else:
            samples.append(None)  # not delivered within 60 s
            break
    return samples


def loadgen(server, stream, opts, extra, rate=None, probe=False):
    connections = [] if "--connections" in opts else ["--connections", str(CONNECTIONS)]
    cmd = [os.path.join(BUILD_DIR, "hydrant-loadgen"), "--endpoint", server.endpoint, "--stream", stream,
           "--verify", "--json", *connections, "--duration", str(DURATION),
           "--warmup", str(WARMUP), "--server-pid", str(server.proc.pid)] + opts + extra
    if rate:
        cmd += ["--rate", f"{rate:.2f}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    fresh = []
    if probe:
        time.sleep(WARMUP)
        fresh = probe_freshness(server, lambda: proc.poll() is not None)
    out, err = proc.communicate()
    lines = [l for l in out.splitlines() if l.startswith("{")]
    if not lines:
        return {"setup_error": f"exit {proc.returncode}: {err.strip()[-500:]}"}, fresh
    r = json.loads(lines[-1])
    r["exit"] = proc.returncode
    return r, fresh


def cpu_s_per_gib(r):
    gib = r.get("payload_mib_per_s", 0) * r.get("elapsed_s", 0) / 1024
    return r["server_cpu_s"] / gib if gib > 0 and "server_cpu_s" in r else None


def phase_row(runs):
    ok = [r for r in runs if "setup_error" not in r]
    if not ok:
        return None
    g = lambda f: med(f(r) for r in ok)
    return {"runs": len(ok), "target_rate": g(lambda r: r.get("target_rate", 0)),
            "requests_per_s": g(lambda r: r["requests_per_s"]), "records_per_s": g(lambda r: r["records_per_s"]),
            "payload_mib_per_s": g(lambda r: r["payload_mib_per_s"]),
            "p50": g(lambda r: r["latency_ms"]["p50"]), "p99": g(lambda r: r["latency_ms"]["p99"]),
            "p99.9": g(lambda r: r["latency_ms"]["p99.9"]), "max": g(lambda r: r["latency_ms"]["max"]),
            "server_cores": g(lambda r: r.get("server_cpu_s", 0) / max(r["elapsed_s"], 1e-9)),
            "loadgen_cores": g(lambda r: r["loadgen_cpu_s"] / max(r["elapsed_s"], 1e-9)),
            "cpu_s_per_gib": g(cpu_s_per_gib),
            "errors": sum(r["errors_total"] for r in ok),
            "error_kinds": sorted({k for r in ok for k in r.get("errors", {})})}


DRAIN_WAIT_S = 300


def wait_drained(server, name):
    """Waits until Hydrant has delivered what the runs before left buffered (at most DRAIN_WAIT_S),
    so that each open-loop phase starts from an empty backlog: a closed-loop peak can accept
    faster than one stream's lane delivers. Stops once the backlog no longer shrinks (with many
    streams, partly filled buffers wait for their interval). Logs the delivery rate seen meanwhile."""
    if server.target != "hydrant":
        return

    def buffered():
        with urllib.request.urlopen(server.endpoint + "/metrics", timeout=10) as r:
            return sum(float(line.split()[-1]) for line in r.read().decode().splitlines()
                       if line.startswith("hydrant_buffered_bytes{"))
    start, first = time.monotonic(), buffered()
    left, still = first, 0
    while left > 64 << 20 and still < 3 and time.monotonic() - start < DRAIN_WAIT_S:
        time.sleep(1)
        before, left = left, buffered()
        still = still + 1 if left >= before else 0
    took = time.monotonic() - start
    if first > 64 << 20:
        log(f"hydrant {name}: backlog {first / 2**20:,.0f} MiB -> {left / 2**20:,.0f} MiB in {took:.1f} s "
            f"({(first - left) / 2**20 / max(took, 1e-9):,.1f} MiB/s delivered, no load)")


def run_scenario(target, name):
    opts, kind, _, _ = SCENARIOS[name]
    log(f"{target} {name}: start (load average {loadavg()})")
    server = Server(target)
    try:
        extra = setup(server, name, kind)
        stream = f"bench-{name}"
        phases, fresh = {}, []
        peak_runs = []
        for i in range(REPEATS):
            r, _ = loadgen(server, stream, opts, extra)
            extra = [e for e in extra if e != "--create"]  # streams exist after the first run
            r.update(target=target, scenario=name, phase="peak", run=i + 1)
            raw(r)
            peak_runs.append(r)
            log(f"{target} {name} peak {i + 1}: {brief(r)}")
        phases["peak"] = phase_row(peak_runs)
        if not phases["peak"]:
            raise RuntimeError("hydrant-loadgen: " + peak_runs[-1].get("setup_error", "no result"))
        peak = phases["peak"]["requests_per_s"] if phases["peak"] else 0
        def open_loop(fraction, phase):
            runs = []
            for i in range(REPEATS if peak > 0 else 0):
                wait_drained(server, name)
                r, _ = loadgen(server, stream, opts, extra, rate=peak * fraction)
                r.update(target=target, scenario=name, phase=phase, run=i + 1)
                raw(r)
                runs.append(r)
                log(f"{target} {name} {phase} {i + 1}: {brief(r)}")
            return phase_row(runs)

        for fraction in FRACTIONS:
            phases[f"{fraction:.0%}"] = open_loop(fraction, f"{fraction:.0%}")
        if target == "hydrant" and peak > 0 and phases["90%"] and phases["90%"]["p99"] > SUSTAINED_P99_MS:
            for fraction in SUSTAINED_FRACTIONS:
                row = phases["50%"] if fraction == 0.5 else open_loop(fraction, f"sustained {fraction:.0%}")
                if row and row["p99"] <= SUSTAINED_P99_MS and row["errors"] == 0:
                    phases["sustained"] = dict(row, fraction=fraction)
                    break
        if peak > 0:
            # Its own run: the probe's client (boto3, polling) takes CPU that the latency runs
            # must not share.
            wait_drained(server, name)
            r, fresh = loadgen(server, stream, opts, extra, rate=peak * FRESHNESS_FRACTION, probe=True)
            r.update(target=target, scenario=name, phase="freshness", freshness_s=fresh)
            raw(r)
            log(f"{target} {name} freshness run: {len(fresh)} probes; load {brief(r)}")
        hwm = vm_hwm_kib(server.proc.pid)
    finally:
        stop_s = server.stop()
    delivered = [s for s in fresh if s is not None]
    return {"target": target, "scenario": name, "phases": phases, "vmhwm_kib": hwm, "stop_s": stop_s,
            "freshness": {"n": len(fresh), "lost": len(fresh) - len(delivered),
                          "p50_ms": med(delivered) * 1000 if delivered else None,
                          "max_ms": max(delivered) * 1000 if delivered else None}}


def brief(r):
    if "setup_error" in r:
        return "SETUP ERROR " + r["setup_error"]
    lat = r["latency_ms"]
    return (f'{r["requests_per_s"]:.1f} req/s, {r["payload_mib_per_s"]:.1f} MiB/s, p50 {lat["p50"]:.2f} ms, '
            f'p99 {lat["p99"]:.2f} ms, errors {r["errors_total"]} {r.get("errors") or ""}')


# ---- ceilings ----

def fsync_ceiling():
    """Sequential writes of CHUNK with fdatasync after each, in DATA_PARENT (MiB/s, median)."""
    total = (128 if QUICK else 1024) * MIB
    results = {}
    block = os.urandom(8 * MIB)
    for chunk_mib in (1, 8):
        chunk = block[:chunk_mib * MIB]
        speeds = []
        for _ in range(REPEATS):
            fd, path = tempfile.mkstemp(prefix="hydrant-fsync-", dir=DATA_PARENT)
            try:
                t0 = time.monotonic()
                for _ in range(total // len(chunk)):
                    os.write(fd, chunk)
                    os.fdatasync(fd)
                speeds.append(total / MIB / (time.monotonic() - t0))
            finally:
                os.close(fd)
                os.unlink(path)
        results[chunk_mib] = {"mib_per_s": med(speeds), "runs": speeds}
        raw({"ceiling": "fsync", "chunk_mib": chunk_mib, "total_mib": total // MIB, "mib_per_s": speeds})
        log(f"fsync ceiling {chunk_mib} MiB chunks: {med(speeds):.1f} MiB/s")
    return results


def request_sync_ceiling():
    """Per one-connection scenario: append + fdatasync of one request's WAL bytes (its records, framed
    with 17 bytes each) to one file, request after request, in DATA_PARENT (ms per request, median)."""
    results = {}
    for name in ONE_CONNECTION:
        opts = SCENARIOS[name][0]
        records = int(opts[opts.index("--records-per-request") + 1])
        size = int(opts[opts.index("--record-size") + 1])
        chunk = os.urandom(records * (size + 17))
        count = 200 if QUICK else 2000
        runs = []
        for _ in range(REPEATS):
            fd, path = tempfile.mkstemp(prefix="hydrant-fsync-", dir=DATA_PARENT)
            try:
                t0 = time.monotonic()
                for _ in range(count):
                    os.write(fd, chunk)
                    os.fdatasync(fd)
                runs.append((time.monotonic() - t0) / count * 1000)
            finally:
                os.close(fd)
                os.unlink(path)
        results[name] = {"ms": med(runs), "runs": runs, "bytes": len(chunk), "records": records}
        raw({"ceiling": "request_sync", "scenario": name, "bytes": len(chunk), "ms": runs})
        log(f"request sync ceiling {name}: {med(runs):.3f} ms for {len(chunk)} bytes")
    return results


def http_ceiling():
    """hydrant-loadgen at full rate against Hydrant's HTTP layer with a handler answering at once."""
    proc = subprocess.Popen([os.path.join(BUILD_DIR, "hydrant-bench-http-ceiling"), "0"],
                            stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline().split()[-1])

    class Fake:
        endpoint = f"http://127.0.0.1:{port}"
    Fake.proc = proc
    results = {}
    try:
        for shape, opts in SHAPE_OPTS.items():
            runs = []
            for i in range(REPEATS):
                r, _ = loadgen(Fake, "ceiling", opts, [])
                r.update(ceiling="http", shape=shape, run=i + 1)
                raw(r)
                runs.append(r)
                log(f"http ceiling {shape} {i + 1}: {brief(r)}")
            results[shape] = phase_row(runs)
    finally:
        proc.terminate()
        proc.wait()
    return results


def parse_ceiling():
    """hydrant-bench-parse (Google Benchmark): one core's ParsePutRequest / Base64Decode speed."""
    cmd = [os.path.join(BUILD_DIR, "hydrant-bench-parse"), "--benchmark_format=json",
           f"--benchmark_min_time={0.1 if QUICK else 0.5}"]
    if REPEATS > 1:
        cmd += [f"--benchmark_repetitions={REPEATS}", "--benchmark_report_aggregates_only=true"]
    doc = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    results = {}
    for b in doc["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        fn = b["name"].split("/")[0].replace("BM_", "")
        results.setdefault(b["label"], {})[fn] = {
            "body_mib_per_s": b["bytes_per_second"] / MIB, "payload_mib_per_s": b["payload"] / MIB,
            "records_per_s": b.get("records")}
    raw({"ceiling": "parse", "results": results})
    log(f"parse ceiling: {json.dumps(results)}")
    return results


# ---- end-to-end scripts ----

def run_script(script, env, stream="stdout"):
    """Runs a bench script; returns its per-run JSON lines."""
    # The matrix's own ONLY (which sections to run) is not the script's scenario filter.
    e = {k: v for k, v in os.environ.items() if k != "ONLY"}
    e.update(BUILD_DIR=BUILD_DIR, DATA_PARENT=DATA_PARENT, **env)
    log(f"{script} {env}")
    p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", script)], env=e,
                       capture_output=True, text=True)
    text = p.stdout if stream == "stdout" else p.stderr
    runs = []
    for line in text.splitlines():
        line = re.sub(r"^\w+\.py: ", "", line)
        if line.startswith("{") and line.endswith("}"):
            try:
                runs.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    for r in runs:
        raw(dict(r, script=script))
    if p.returncode != 0:
        log(f"{script} failed (exit {p.returncode}): {p.stderr.strip()[-1500:]}")
        return runs, f"exit {p.returncode}: {p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ''}"
    return runs, None


def end_to_end():
    n = (lambda quick, full: str(quick if QUICK else full))
    reps = str(REPEATS)
    out = {}
    out["compression"] = run_script("compression.py", {"RECORDS": n(50000, 300000), "REPEATS": reps})
    out["transform"] = run_script("transform.py", {"RECORDS": n(100000, 500000), "REPEATS": reps,
                                                   "ONLY": "none,identity", "INVOKES": n(5, 30)})
    out["partitions"] = run_script("partitions.py", {"RECORDS": n(50000, 200000), "REPEATS": reps,
                                                     "COUNTS": "1,100"}, stream="stderr")
    # 1 GiB keeps the matrix short; bench/README.md has the 5 GiB figures (BACKLOG_GIB=5).
    out["backlog"] = run_script("backlog.py", {"BACKLOG_GIB": n(0.1, 1)})
    out["many_streams"] = run_script("many_streams.py", {"COUNTS": n(200, "1000,5000"), "IDLE_S": n(3, 10),
                                                         "FLUSH_RECORDS": n(200000, 1200000)})
    out["http_endpoint"] = run_script("http_endpoint.py", {"RECORDS": n(100000, 1000000), "REPEATS": reps})
    out["streams_load"] = run_script("streams_load.py", {"STREAMS": n(200, 1000), "INTERVAL_S": n(10, 60),
                                                         "PEAK_S": n(3, 10), "STEADY_S": n(20, 180)})
    return out


# ---- report ----

def fmt(v, digits=1):
    if v is None:
        return "–"
    if isinstance(v, float) and digits == 0:
        return f"{v:,.0f}"
    if isinstance(v, (int,)) and not isinstance(v, bool):
        return f"{v:,}"
    return f"{v:,.{digits}f}"


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "–"


def machine():
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"
    mem = int(open("/proc/meminfo").read().split()[1]) / 1024 / 1024
    try:
        import moto
        moto_version = moto.__version__
    except ImportError:
        moto_version = "not installed"
    return {
        "cpu": sh("lscpu | sed -n 's/^Model name: *//p' | head -1"),
        "cores": os.cpu_count(), "memory_gib": round(mem, 1), "kernel": platform.release(),
        "fs": sh(f"findmnt -n -o FSTYPE,SOURCE,OPTIONS --target {DATA_PARENT}"),
        "git": sh(f"git -C {ROOT} rev-parse --short HEAD") +
               (" (uncommitted changes)" if sh(f"git -C {ROOT} status --porcelain") else ""),
        "python": platform.python_version(), "moto": moto_version,
    }


def scenario_table(res, lines):
    lines.append("| phase | req/s target | req/s | rec/s | MiB/s | p50 ms | p99 ms | p99.9 ms | max ms | "
                 "server cores | loadgen cores | server CPU s/GiB | errors |")
    lines.append("| --- " * 13 + "|")
    for phase in ("peak", "50%", "90%", "sustained"):
        row = res["phases"].get(phase)
        if not row:
            if phase != "sustained":
                lines.append(f"| {phase} | (no run) |" + " |" * 11)
            continue
        errs = f'{row["errors"]}' + (f' ({", ".join(row["error_kinds"])})' if row["error_kinds"] else "")
        label = f'sustained: {row["fraction"]:.0%}' if phase == "sustained" else phase
        lines.append(
            f'| {label} | {"max" if phase == "peak" else fmt(row["target_rate"])} | {fmt(row["requests_per_s"])} | '
            f'{fmt(row["records_per_s"], 0)} | {fmt(row["payload_mib_per_s"], 2)} | {fmt(row["p50"], 2)} | '
            f'{fmt(row["p99"], 2)} | {fmt(row["p99.9"], 2)} | {fmt(row["max"], 2)} | {fmt(row["server_cores"], 2)} | '
            f'{fmt(row["loadgen_cores"], 2)} | {fmt(row["cpu_s_per_gib"], 2)} | {errs} |')
    p90, sustained = res["phases"].get("90%"), res["phases"].get("sustained")
    if p90 and p90["p99"] > SUSTAINED_P99_MS:
        lines.append("")
        lines.append(f'The peak is not sustained (p99 {fmt(p90["p99"], 1)} ms at 90 %): ' +
                     (f'the highest rate tried with p99 ≤ {SUSTAINED_P99_MS} ms is {sustained["fraction"]:.0%} of the '
                      f'peak, {fmt(sustained["records_per_s"], 0)} records/s ({fmt(sustained["payload_mib_per_s"], 2)} MiB/s), '
                      f'the headline figure.' if sustained else
                      f'no fraction down to {SUSTAINED_FRACTIONS[-1]:.0%} kept p99 ≤ {SUSTAINED_P99_MS} ms.'))
    f = res["freshness"]
    lines.append("")
    stop = "killed after " + str(STOP_WAIT_S) + " s" if res.get("stop_s") is None else f'{res["stop_s"]:.1f} s'
    lines.append(f'Peak RSS (VmHWM, whole scenario): {fmt(res["vmhwm_kib"])} KiB. Exit on SIGTERM '
                 f'(drains every buffer): {stop}. '
                 f'Freshness at {FRESHNESS_FRACTION:.0%} load (put → object listed, IntervalInSeconds '
                 f'{probe_interval_s(SCENARIOS[res["scenario"]][1])}, {f["n"]} probes'
                 f'{", " + str(f["lost"]) + " not delivered within 60 s" if f["lost"] else ""}): '
                 f'p50 {fmt(f["p50_ms"], 0)} ms, max {fmt(f["max_ms"], 0)} ms.')


def report(info, started, finished, ceilings, hydrant, moto, e2e):
    L = []
    title = "# Hydrant benchmark results"
    if QUICK:
        title += " — QUICK MODE: a check of the harness, NOT figures"
    L += [title, "",
          f"Generated by `{os.environ.get('BENCH_COMMAND', 'bench/matrix.py')}` "
          f"({'QUICK=1 ' if QUICK else ''}DURATION={DURATION:g} WARMUP={WARMUP:g} REPEATS={REPEATS} "
          f"CONNECTIONS={CONNECTIONS}{' ONLY=' + ','.join(ONLY) if ONLY else ''}"
          f"{' SERVER_ARGS=' + repr(' '.join(SERVER_ARGS)) if SERVER_ARGS else ''}). "
          f"Raw JSON lines of every run: `{RAW if not RAW.startswith(ROOT) else os.path.relpath(RAW, ROOT)}`.", "",
          "## Machine and conditions", "",
          f"- Date: {started} – {finished} UTC; git {info['git']}",
          f"- CPU: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB memory; kernel {info['kernel']}",
          f"- Data dir: `{DATA_PARENT}` on {info['fs']}",
          f"- Load average: {info['load_before']} before, {info['load_after']} after "
          "(1/5/15 min; anything above ~0.2 before means other work shared the cores)",
          f"- Python {info['python']}, moto {info['moto']} (`python3 -m moto.server`, in memory, no fsync)",
          f"- Hydrant: `hydrant serve` {'with ' + ' '.join(SERVER_ARGS) + ', otherwise ' if SERVER_ARGS else ''}defaults (2 I/O threads, WAL group commit with fdatasync before the "
          "acknowledgement, embedded S3 store in the same data dir, 2 workers per function); a fresh server and "
          "data dir per scenario.",
          f"- Client: `hydrant-loadgen`, {CONNECTIONS} keep-alive connections, on the same machine over loopback "
          "(its cores are in `loadgen cores`), `--verify` (every acknowledgement checked). Streams: "
          "BufferingHints 5 MiB / 300 s (the service's defaults).",
          f"- Each run: {WARMUP:g} s warmup + {DURATION:g} s measured. Peak = closed loop, as fast as answers "
          f"come; 50 % / 90 % = open loop at that fraction of the median peak req/s, latency counted from each "
          f"request's due time. Every figure is the median of {REPEATS} run(s).", ""]

    # Ceilings
    L += ["## Ceilings (what this machine allows)", ""]
    fs = ceilings.get("fsync")
    if fs:
        L.append("Sequential write + `fdatasync` per chunk in the data dir's file system: " +
                 ", ".join(f"{k} MiB chunks {fmt(v['mib_per_s'])} MiB/s" for k, v in fs.items()) +
                 ". An acknowledgement waits for the WAL's group-commit fdatasync, so this bounds the "
                 "acknowledged MiB/s; every record is written a second time (the delivered object), through "
                 "the page cache and synced per object, so sustained over minutes the disk must take twice "
                 "the payload.")
        L.append("")
    http, parse = ceilings.get("http"), ceilings.get("parse")
    if http or parse:
        L += ["| request shape | HTTP ceiling req/s | HTTP ceiling MiB/s | ParsePutRequest MiB/s of payload (1 core) | "
              "records/s (1 core) | Base64Decode MiB/s of payload |", "| --- " * 6 + "|"]
        for shape in SHAPE_OPTS:
            h = (http or {}).get(shape) or {}
            p = (parse or {}).get(shape, {})
            pp, pb = p.get("ParsePutRequest", {}), p.get("Base64Decode", {})
            L.append(f'| {shape} | {fmt(h.get("requests_per_s"))} | {fmt(h.get("payload_mib_per_s"))} | '
                     f'{fmt(pp.get("payload_mib_per_s"))} | {fmt(pp.get("records_per_s"), 0)} | '
                     f'{fmt(pb.get("payload_mib_per_s"))} |')
        L += ["", "HTTP ceiling: `hydrant-bench-http-ceiling` (Hydrant's `api::HttpServer`, 2 I/O threads, a handler "
              "that answers 200 at once) under the same hydrant-loadgen load, peak. Parse: `hydrant-bench-parse` "
              "(Google Benchmark of `api::ParsePutRequest`, simdjson + base64, on hydrant-loadgen's bodies; one core).", ""]

    # Scenarios
    L += ["## Scenarios (Hydrant)", "",
          "Columns: `req/s target` the open-loop rate (peak: as fast as possible); `rec/s` records acknowledged "
          "per second; `MiB/s` decoded record payload acknowledged per second; `p50/p99/p99.9/max` "
          "acknowledgement latency (send → HTTP 200); `server cores` / `loadgen cores` CPU seconds per second; "
          "`server CPU s/GiB` server CPU seconds per GiB of payload; `errors` failed requests or records (must be 0).", ""]
    for name, res in hydrant.items():
        opts, kind, _, what = SCENARIOS[name]
        L += [f"### {name}", "", f"{what}. hydrant-loadgen `{' '.join(opts)}`.", ""]
        if "error" in res:
            L += [f"**Failed:** {res['error']}", ""]
            continue
        scenario_table(res, L)
        peak = res["phases"].get("peak")
        shape = SHAPE[name]
        h = (ceilings.get("http") or {}).get(shape) or {}
        p = ((ceilings.get("parse") or {}).get(shape) or {}).get("ParsePutRequest", {})
        fs1 = (ceilings.get("fsync") or {}).get(8, {}).get("mib_per_s")
        if peak:
            L.append(f'Peak as a fraction of the ceilings: {ratio(peak["requests_per_s"], h.get("requests_per_s"))} '
                     f'of the HTTP ceiling\'s req/s; {ratio(peak["payload_mib_per_s"], p.get("payload_mib_per_s"))} of '
                     f'one core\'s parse+decode MiB/s; {ratio(peak["payload_mib_per_s"], fs1)} of the disk\'s '
                     f'write+fdatasync bandwidth (8 MiB chunks; the acknowledgement waits for the WAL\'s sync only).')
            sync = (ceilings.get("request_sync") or {}).get(name)
            if sync and p.get("records_per_s") and peak["requests_per_s"]:
                cost = 1000 / peak["requests_per_s"]
                parse_ms = sync["records"] / p["records_per_s"] * 1000
                L.append(f'Request cost: {cost:.3f} ms per request at peak = '
                         f'{ratio(cost, sync["ms"] + parse_ms)} of (append + fdatasync of its '
                         f'{sync["bytes"] / 1024:.1f} KiB of WAL frames {sync["ms"]:.3f} ms + its parse on one core '
                         f'{parse_ms:.3f} ms).')
        L.append("")

    if moto:
        L += ["## moto, same client load", "",
              f"`python3 -m moto.server` (moto {info['moto']}), same scenarios, same hydrant-loadgen options. "
              "Its 50 %/90 % rows are fractions of **its own** peak.", ""]
        for name, res in moto.items():
            L += [f"### moto: {name}", ""]
            if "error" in res:
                L += [f"**Failed:** {res['error']}", ""]
                continue
            scenario_table(res, L)
            L.append("")
        L += ["### Hydrant / moto", "",
              "| scenario | peak rec/s | peak MiB/s | p50 at 50 % | p99 at 50 % | p99 at 90 % | server CPU s/GiB (peak) | "
              "peak RSS | freshness p50 |", "| --- " * 9 + "|"]
        for name, m in moto.items():
            h = hydrant.get(name)
            if not h or "error" in h or "error" in m:
                continue
            hp, mp = h["phases"].get("peak") or {}, m["phases"].get("peak") or {}
            h5, m5 = h["phases"].get("50%") or {}, m["phases"].get("50%") or {}
            h9, m9 = h["phases"].get("90%") or {}, m["phases"].get("90%") or {}
            L.append(f'| {name} | {ratio(hp.get("records_per_s"), mp.get("records_per_s"))} | '
                     f'{ratio(hp.get("payload_mib_per_s"), mp.get("payload_mib_per_s"))} | '
                     f'{ratio(h5.get("p50"), m5.get("p50"))} | {ratio(h5.get("p99"), m5.get("p99"))} | '
                     f'{ratio(h9.get("p99"), m9.get("p99"))} | '
                     f'{ratio(hp.get("cpu_s_per_gib"), mp.get("cpu_s_per_gib"))} | '
                     f'{ratio(h["vmhwm_kib"], m["vmhwm_kib"])} | '
                     f'{ratio(h["freshness"]["p50_ms"], m["freshness"]["p50_ms"])} |')
        L += ["", "Ratios are Hydrant's figure divided by moto's: above 1 is better for rates, below 1 is better "
              "for latency, CPU, RSS and freshness. moto keeps everything in memory and does not fsync.", ""]

    if e2e:
        L += ["## End to end (bench/compression.py, transform.py, partitions.py, backlog.py, many_streams.py, http_endpoint.py, streams_load.py)", "",
              "Ack figures above show what the ingest accepts; these show what reaches the store: a fixed "
              "number of records sent at full speed, timed until every byte is listed in the embedded S3 store "
              "(partitions: until the server has drained on SIGTERM). See README.md for each script.", ""]
        runs, err = e2e.get("compression", ([], None))
        if runs or err:
            L += ["| compression.py | MiB/s end to end | rec/s | ratio | end to end s | server cores | VmHWM KiB | runs |",
                  "| --- " * 8 + "|"]
            for sc in ("gzip", "uncompressed"):
                rs = [r for r in runs if r.get("scenario") == sc]
                if rs:
                    g = lambda k: med(r[k] for r in rs)
                    L.append(f'| {sc} | {fmt(g("mib_per_s"), 2)} | {fmt(g("records_per_s"), 0)} | {fmt(g("ratio"), 2)} | '
                             f'{fmt(g("end_to_end_s"), 2)} | {fmt(g("server_cores"), 2)} | {fmt(g("server_vmhwm_kib"))} | {len(rs)} |')
            if err:
                L.append(f"\ncompression.py failed: {err}")
            L.append("")
        runs, err = e2e.get("transform", ([], None))
        if runs or err:
            L += ["| transform.py (100 B records, 2 streams) | rec/s end to end | end to end s | Invoke 1 record: wall − handler ms | runs |",
                  "| --- " * 5 + "|"]
            for sc in ("none", "identity"):
                rs = [r for r in runs if r.get("scenario") == sc]
                if rs:
                    inv = med(r["invoke_api"][0]["wall_minus_handler_ms_median"] for r in rs) if sc == "identity" else None
                    L.append(f'| {sc} | {fmt(med(r["records_per_s"] for r in rs), 0)} | '
                             f'{fmt(med(r["end_to_end_s"] for r in rs), 2)} | {fmt(inv, 2)} | {len(rs)} |')
            if err:
                L.append(f"\ntransform.py failed: {err}")
            L.append("")
        runs, err = e2e.get("partitions", ([], None))
        if runs or err:
            L += ["| partitions.py (1 KiB records) | MiB/s end to end | rec/s | peak RSS MiB | end to end s | runs |",
                  "| --- " * 6 + "|"]
            for count in (1, 100):
                rs = [r for r in runs if r.get("partitions") == count]
                if rs:
                    L.append(f'| {count} partition(s) | {fmt(med(r["mib_per_s"] for r in rs))} | '
                             f'{fmt(med(r["records_per_s"] for r in rs), 0)} | {fmt(max(r["peak_rss_mib"] for r in rs))} | '
                             f'{fmt(med(r["end_to_end_s"] for r in rs), 2)} | {len(rs)} |')
            if err:
                L.append(f"\npartitions.py failed: {err}")
            L.append("")
        runs, err = e2e.get("backlog", ([], None))
        if runs or err:
            L += ["| backlog.py (bucket missing, then created) | GiB | send s | max RSS MiB growing | "
                  "recovery s | RSS MiB recovered | drain s | max RSS MiB draining |", "| --- " * 8 + "|"]
            for r in runs:
                g, a, d = r["growing"], r["after_restart"], r["draining"]
                L.append(f'| {r["record_size"]} B records | {fmt(r["bytes"] / (1 << 30), 2)} | {fmt(r["send_s"])} | '
                         f'{fmt(g["max_rss_kib"] / 1024)} | {fmt(a["recovery_s"], 2)} | {fmt(a["rss_kib"] / 1024)} | '
                         f'{fmt(d["drain_s"])} | {fmt(d["max_rss_kib"] / 1024)} |')
            if err:
                L.append(f"\nbacklog.py failed: {err}")
            L.append("")
        runs, err = e2e.get("many_streams", ([], None))
        if runs or err:
            L += ["| many_streams.py (no traffic) | streams/s created | threads | RSS MiB | idle CPU % of a core | "
                  "restart s | threads after | RSS MiB after | idle CPU % after |", "| --- " * 9 + "|"]
            for r in (r for r in runs if "idle" in r):
                i, a = r["idle"], r["after_restart"]
                L.append(f'| {r["streams"]} streams | {fmt(r["streams_per_s"])} | {i["threads"]} | {fmt(i["rss_mib"])} | '
                         f'{fmt(i["idle_cpu_percent"], 1)} | {fmt(r["restart_s"], 1)} | {a["threads"]} | '
                         f'{fmt(a["rss_mib"])} | {fmt(a["idle_cpu_percent"], 1)} |')
            for r in (r for r in runs if "flush_streams" in r):
                L += ["", "| many_streams.py (flushing together) | records | ingest records/s | delivered s | threads | peak RSS MiB |",
                      "| --- " * 6 + "|",
                      f'| {r["flush_streams"]} streams x 1 KiB | {fmt(r["records"])} | {fmt(r["ingest_records_per_s"])} | '
                      f'{fmt(r["delivered_s"])} | {r["threads"]} | {r["peak_rss_mib"]} |']
            if err:
                L.append(f"\nmany_streams.py failed: {err}")
            L.append("")
        runs, err = e2e.get("streams_load", ([], None))
        if runs or err:
            L += ["| streams_load.py (steady load) | peak req/s | load req/s | p99 ms (median, max of the windows) | "
                  "RSS MiB (max, VmHWM) | largest freshness s (limit) | starved streams |", "| --- " * 7 + "|"]
            for r in runs:
                L.append(f'| {r["streams"]} streams, {r["interval_s"]} s interval | {fmt(r["peak_req_per_s"])} | '
                         f'{fmt(r["rate_req_per_s"])} | {fmt(r["p99_ms_median"], 2)}, {fmt(r["p99_ms_max"], 2)} | '
                         f'{r["rss_mib_max"]}, {r["vm_hwm_mib"]} | {fmt(r["freshness_s_max"])} ({2 * r["interval_s"]}) | '
                         f'{r["starved"]} of {r["streams_sampled"]} |')
            if err:
                L.append(f"\nstreams_load.py failed: {err}")
            L.append("")
        runs, err = e2e.get("http_endpoint", ([], None))
        if runs or err:
            L += ["| http_endpoint.py | records | MiB/s | records/s | peak RSS MiB |", "| --- " * 5 + "|"]
            for r in (r for r in runs if "run" in r):
                L.append(f'| run {r["run"]} ({"GZIP" if r["gzip"] else "NONE"}) | {fmt(r["records"])} | '
                         f'{fmt(r["mib_per_s"])} | {fmt(r["records_per_s"])} | {r["peak_rss_mib"]} |')
            if err:
                L.append(f"\nhttp_endpoint.py failed: {err}")
            L.append("")
    L.append(f"Total run time: {info['total_min']:.1f} min.")
    return "\n".join(L) + "\n"


def main():
    t_start = time.monotonic()
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    info = machine()
    info["load_before"] = loadavg()
    os.makedirs(os.path.dirname(RAW), exist_ok=True)
    open(RAW, "w").close()
    ceilings, hydrant, moto, e2e = {}, {}, {}, {}
    if selected("ceilings", "fsync"):
        ceilings["fsync"] = fsync_ceiling()
        ceilings["request_sync"] = request_sync_ceiling()
    if selected("ceilings", "http"):
        ceilings["http"] = http_ceiling()
    if selected("ceilings", "parse"):
        ceilings["parse"] = parse_ceiling()
    for target, into in (("hydrant", hydrant), ("moto", moto)):
        if target == "moto" and not MOTO:
            continue
        for name, (_, _, on_moto, _) in SCENARIOS.items():
            if target == "moto" and not on_moto:
                continue
            if not selected(target, name):
                continue
            try:
                into[name] = run_scenario(target, name)
            except Exception as e:  # a broken scenario must not hide the others' figures
                log(f"{target} {name} failed: {e!r}")
                into[name] = {"error": repr(e)[:1000]}
            raw({"summary": into[name], "target": target, "scenario": name})
    if selected("e2e"):
        e2e = end_to_end()
    info["load_after"] = loadavg()
    info["total_min"] = (time.monotonic() - t_start) / 60
    text = report(info, started, time.strftime("%H:%M", time.gmtime()), ceilings, hydrant, moto, e2e)
    with open(OUT, "w") as f:
        f.write(text)
    print(text)
    log(f"wrote {OUT} and {RAW} in {info['total_min']:.1f} min")
    failed = [n for d in (hydrant, moto) for n, r in d.items() if "error" in r]
    failed += [k for k, (_, err) in e2e.items() if err]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
