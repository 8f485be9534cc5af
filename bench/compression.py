#!/usr/bin/env python3
"""Compressed-delivery benchmark: end-to-end MiB/s of input through a GZIP stream (see README.md).

For each scenario (gzip, uncompressed) and each of REPEATS runs: start a fresh `hydrant serve`,
create the bucket and one stream with that CompressionFormat and BufferingHints BUFFER_MB MiB /
BUFFER_S s, send RECORDS JSON log records of 1 KiB with hydrant-loadgen (--requests, full speed)
and poll the embedded S3 store until every input byte is delivered. MiB/s end to end = input
bytes / (last object listed and its size known - loadgen started). A GZIP object's input size is
read from its trailer (ISIZE, a ranged GET of its last 4 bytes), so polling never decompresses.

After the timed part every object is fetched and decompressed, and checked against what was sent:
record count, total bytes, every line a 1 KiB JSON document, and every distinct record of the
workload (identified by its unique "ts") always with the same bytes, and all records of a request
variant equally often (whole requests, none split, lost or repeated). Also reported: records/s, compression ratio (input / stored bytes),
server peak RSS (VmHWM) and the server's cores over the end-to-end window.

Usage: BUILD_DIR=build bench/compression.py
Env: RECORDS (1000000), BUFFER_MB (5), BUFFER_S (1), CONNECTIONS (16), VARIANTS (16),
     REPEATS (3), ONLY (gzip,uncompressed), DATA_PARENT
"""
import gzip
import hashlib
import json
import os
import statistics
import struct
import subprocess
import sys
import time

from transform import BUILD_DIR, Server  # same fresh-server-per-run harness

RECORDS = int(os.environ.get("RECORDS", "1000000"))
BUFFER_MB = int(os.environ.get("BUFFER_MB", "5"))
BUFFER_S = int(os.environ.get("BUFFER_S", "1"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "16"))
# 16 x 500 distinct records = 8 MiB, more than one object, so no object repeats another.
VARIANTS = int(os.environ.get("VARIANTS", "16"))
REPEATS = int(os.environ.get("REPEATS", "3"))
ONLY = [s for s in os.environ.get("ONLY", "").split(",") if s]
RECORD_SIZE = 1024
PER_REQUEST = 500
BUCKET = "compression-bench"
ACCOUNT = "123456789012"
SCENARIOS = {"gzip": "GZIP", "uncompressed": "UNCOMPRESSED"}
# bench/workload.cc: record number `seq` (counted over all variants) has "ts" = TS0 + 7 * seq.
TS0 = 1764250000000
MIB = 1024 * 1024


def log(msg):
    print(f"compression.py: {msg}", file=sys.stderr, flush=True)


def create_stream(server, name, compression):
    fh = server.client("firehose")
    fh.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration={
        "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/x", "BucketARN": f"arn:aws:s3:::{BUCKET}",
        "Prefix": f"{name}/", "ErrorOutputPrefix": "errors/", "CompressionFormat": compression,
        "BufferingHints": {"SizeInMBs": BUFFER_MB, "IntervalInSeconds": BUFFER_S}})
    for _ in range(100):
        if fh.describe_delivery_stream(DeliveryStreamName=name)[
                "DeliveryStreamDescription"]["DeliveryStreamStatus"] == "ACTIVE":
            return
        time.sleep(0.1)
    raise RuntimeError("stream not ACTIVE")


def list_objects(s3, prefix):
    objects, kwargs = {}, {"Bucket": BUCKET, "Prefix": prefix}
    while True:
        page = s3.list_objects_v2(**kwargs)
        objects.update((o["Key"], o["Size"]) for o in page.get("Contents", []))
        if not page.get("IsTruncated"):
            return objects
        kwargs["ContinuationToken"] = page["NextContinuationToken"]


def input_size(s3, key, size, compressed):
    """Bytes of input an object holds: its size, or a GZIP member's ISIZE trailer (mod 2^32)."""
    if not compressed:
        return size
    tail = s3.get_object(Bucket=BUCKET, Key=key, Range="bytes=-4")["Body"].read()
    return struct.unpack("<I", tail)[0]


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vm_hwm_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def verify(s3, objects, compressed, requests):
    """Decompresses every object and checks it holds exactly the records sent."""
    per_ts = {}  # ts -> [sha1 of the line, times delivered]
    records = total = 0
    for key in sorted(objects):
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        if compressed:
            body = gzip.decompress(body)
        total += len(body)
        for line in body.splitlines(keepends=True):
            records += 1
            if len(line) != RECORD_SIZE:
                raise RuntimeError(f"{key}: record of {len(line)} B, not {RECORD_SIZE}")
            ts = json.loads(line)["ts"]
            digest = hashlib.sha1(line).digest()
            seen = per_ts.setdefault(ts, [digest, 0])
            if seen[0] != digest:
                raise RuntimeError(f"{key}: record ts={ts} differs from an earlier copy")
            seen[1] += 1
    if records != requests * PER_REQUEST or total != records * RECORD_SIZE:
        raise RuntimeError(f"delivered {records} records / {total} B, sent "
                           f"{requests * PER_REQUEST} / {requests * PER_REQUEST * RECORD_SIZE}")
    # A request carries one variant (records seq = v*PER_REQUEST .. +PER_REQUEST-1), and which
    # connection sends how many of which variant depends on timing: so every record of a variant
    # must arrive equally often (no request split, lost or repeated in part).
    per_variant = {}
    for ts, (_, count) in per_ts.items():
        if (ts - TS0) % 7 or (ts - TS0) // 7 >= VARIANTS * PER_REQUEST:
            raise RuntimeError(f"record ts={ts} was never sent")
        per_variant.setdefault((ts - TS0) // 7 // PER_REQUEST, []).append(count)
    for variant, counts in per_variant.items():
        if len(counts) != PER_REQUEST or len(set(counts)) != 1:
            raise RuntimeError(f"variant {variant}: {len(counts)} distinct records, "
                               f"delivered {min(counts)}..{max(counts)} times each")
    return records, total


def run_once(scenario, run):
    compression = SCENARIOS[scenario]
    compressed = compression != "UNCOMPRESSED"
    server = Server()
    try:
        s3 = server.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        stream = f"bench-{scenario}"
        create_stream(server, stream, compression)
        requests = RECORDS // PER_REQUEST
        expected = requests * PER_REQUEST * RECORD_SIZE
        pid = server.proc.pid
        cpu0 = cpu_seconds(pid)
        t0 = time.monotonic()
        loadgen = subprocess.Popen(
            [os.path.join(BUILD_DIR, "hydrant-loadgen"), "--endpoint", server.endpoint,
             "--stream", stream, "--op", "PutRecordBatch", "--records-per-request", str(PER_REQUEST),
             "--record-size", str(RECORD_SIZE), "--variants", str(VARIANTS),
             "--connections", str(CONNECTIONS), "--requests", str(requests),
             "--verify", "--json", "--server-pid", str(pid)],
            stdout=subprocess.PIPE, text=True)
        # Poll rarely while sending (the poller shares the 2 cores), every 50 ms after.
        sizes, got, t_sent = {}, 0, None
        while got < expected and time.monotonic() - t0 < 600:
            if t_sent is None:
                try:
                    loadgen.wait(timeout=0.5)
                    t_sent = time.monotonic() - t0
                except subprocess.TimeoutExpired:
                    pass
            else:
                time.sleep(0.05)
            for key, size in list_objects(s3, stream + "/").items():
                if key not in sizes:
                    sizes[key] = (size, input_size(s3, key, size, compressed))
            got = sum(i for _, i in sizes.values())
        t_done = time.monotonic() - t0
        cpu = cpu_seconds(pid) - cpu0
        out = loadgen.communicate()[0]
        if t_sent is None:
            t_sent = t_done
        if loadgen.returncode != 0:
            raise RuntimeError(f"hydrant-loadgen exited {loadgen.returncode}: {out}")
        ingest = json.loads(out.strip().splitlines()[-1])
        errors = list_objects(s3, "errors/")
        if got != expected or errors:
            raise RuntimeError(f"delivered {got} of {expected} bytes, {len(errors)} error objects")
        hwm = vm_hwm_kib(pid)
        records, total = verify(s3, sizes, compressed, requests)
        stored = sum(s for s, _ in sizes.values())
        return {"scenario": scenario, "run": run, "records": records, "input_bytes": total,
                "objects": len(sizes), "stored_bytes": stored,
                "ratio": round(total / stored, 3),
                "send_s": round(t_sent, 3), "end_to_end_s": round(t_done, 3),
                "mib_per_s": round(total / MIB / t_done, 2),
                "records_per_s": round(records / t_done),
                "ingest_mib_per_s": ingest["payload_mib_per_s"],
                "server_cores": round(cpu / t_done, 2),
                "loadgen_cores": round(ingest["loadgen_cpu_s"] / max(ingest["elapsed_s"], 1e-9), 2),
                "server_vmhwm_kib": hwm, "ingest_errors": ingest["errors_total"]}
    finally:
        server.stop()


def main():
    names = ONLY or list(SCENARIOS)
    print(f"# hydrant compression bench {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}; "
          f"{RECORDS} x {RECORD_SIZE} B JSON records per run, 1 stream, {CONNECTIONS} connections, "
          f"{VARIANTS} variants, BufferingHints {BUFFER_MB} MiB / {BUFFER_S} s, {REPEATS} runs; "
          f"load average before: {open('/proc/loadavg').read().split()[:3]}", flush=True)
    results = {}
    for name in names:
        for run in range(1, REPEATS + 1):
            r = run_once(name, run)
            print(json.dumps(r), flush=True)
            results.setdefault(name, []).append(r)
    cols = ["mib_per_s", "records_per_s", "ratio", "send_s", "end_to_end_s", "ingest_mib_per_s",
            "server_cores", "loadgen_cores", "server_vmhwm_kib"]
    print("\nscenario\t" + "\t".join(cols) + "\t(medians)\tMiB/s of all runs")
    for name, runs in results.items():
        print(name + "\t" + "\t".join(str(statistics.median(r[c] for r in runs)) for c in cols) +
              f"\t\t{[r['mib_per_s'] for r in runs]}")
    print(f"# load average after: {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
