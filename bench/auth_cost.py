#!/usr/bin/env python3
"""What verifying signatures costs at peak ingest.

Alternates runs of the same closed-loop load (hydrant-loadgen, PutRecordBatch of 500 records,
CONNECTIONS connections, DURATION s after WARMUP s) against a fresh `hydrant serve` without
credentials (requests not authenticated) and one with the load generator's key in its
credentials (every request's SigV4 signature verified, payload hash included, and an allow-all
policy evaluated). Prints each run and the medians; the ratio is verified / open.

Usage: BUILD_DIR=build bench/auth_cost.py
Env: REPEATS (3), DURATION (8), WARMUP (2), CONNECTIONS (16), RECORD_SIZES (100,1024)
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from transform import BUILD_DIR, Server  # noqa: E402

REPEATS = int(os.environ.get("REPEATS", "3"))
DURATION = os.environ.get("DURATION", "8")
WARMUP = os.environ.get("WARMUP", "2")
CONNECTIONS = os.environ.get("CONNECTIONS", "16")
RECORD_SIZES = [int(s) for s in os.environ.get("RECORD_SIZES", "100,1024").split(",")]
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["firehose:*", "s3:*"], "Resource": "*"}]}


def run_once(record_size, verified, config):
    server = Server(["--config", config] if verified else [])
    try:
        out = subprocess.run(
            [os.path.join(BUILD_DIR, "hydrant-loadgen"), "--endpoint", server.endpoint, "--stream", "bench-auth",
             "--create", "--op", "PutRecordBatch", "--records-per-request", "500", "--record-size", str(record_size),
             "--connections", CONNECTIONS, "--duration", DURATION, "--warmup", WARMUP, "--json",
             "--server-pid", str(server.proc.pid)],
            check=True, capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        return {"record_size": record_size, "verified": verified, "records_per_s": round(r["records_per_s"]),
                "mib_per_s": round(r["payload_mib_per_s"], 1), "errors": r["errors_total"],
                "p99_ms": r.get("latency_ms", {}).get("p99"),
                "server_cores": round(r.get("server_cpu_s", 0) / r["elapsed_s"], 2),
                "loadgen_cores": round(r["loadgen_cpu_s"] / r["elapsed_s"], 2)}
    finally:
        server.stop()


def main():
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write("credentials: " + json.dumps([{"access_key_id": "test", "secret_access_key": "test",
                                                "policy": POLICY}]) + "\n")
        config = f.name
    summary = {}
    for size in RECORD_SIZES:
        runs = {False: [], True: []}
        for _ in range(REPEATS):
            for verified in (False, True):
                result = run_once(size, verified, config)
                if result["errors"]:
                    raise RuntimeError(f"the load generator saw errors: {result}")
                print(json.dumps(result), flush=True)
                runs[verified].append(result["records_per_s"])
        open_rps, verified_rps = statistics.median(runs[False]), statistics.median(runs[True])
        summary[f"500x{size}B"] = {"open_records_per_s": open_rps, "verified_records_per_s": verified_rps,
                                   "ratio": round(verified_rps / open_rps, 3)}
    print(json.dumps(summary))
    os.unlink(config)


if __name__ == "__main__":
    main()
