"""A backlog waiting for an unreachable destination lives on disk, not in memory.

300 MB of 100-byte records (3 million records) go to a stream whose bucket does not exist, so
every delivery fails and is retried. The server's RSS must grow by less than
RSS_GROWTH_BOUND_KIB while the backlog builds, after a kill -9 and recovery with the whole backlog
on disk, and while it drains once the bucket is created: any structure kept per record (an
index entry, a position, a callback) would cost at least 8 bytes x 3 million = 24 MB and fail
the bound. The stream's objects are 1 MiB: what delivery holds by design (the object in flight,
the next one built ahead, the aligned I/O buffers) grows with the buffering size, not the
backlog, and at 1 MiB it stays well below the bound (8-11 MiB; with 5 MiB objects it is
20 MiB by itself). So does the memory that keeps what the logs wrote last for delivery to read
(`--wal-read-cache-mb`): a fixed budget whatever the backlog (64 MiB by default), set to 4 MiB
here so that it cannot hide a per-record structure. Every byte sent arrives. Records come from hydrant-loadgen (built beside hydrant),
because a Python client cannot send 3 million records within the time a test may take.
"""
import json
import re
import subprocess
import time
import urllib.request

import pytest

from faults import rss_kib
from harness import hydrant_binary

RECORD_SIZE = 100
PER_REQUEST = 500
REQUESTS = 6000  # 3,000,000 records, 300 MB
RSS_GROWTH_BOUND_KIB = 20 * 1024


def buffered_bytes(server):
    text = urllib.request.urlopen(server.endpoint + "/metrics", timeout=10).read().decode()
    return sum(float(v) for v in re.findall(r"^hydrant_buffered_bytes\{[^}]*\} (\S+)$", text, re.M))


def delivered_bytes(server, bucket):
    s3, total, kwargs = server.s3(), 0, {"Bucket": bucket}
    while True:
        page = s3.list_objects_v2(**kwargs)
        total += sum(o["Size"] for o in page.get("Contents", []))
        if not page.get("IsTruncated"):
            return total
        kwargs["ContinuationToken"] = page["NextContinuationToken"]


def test_backlog_for_a_missing_bucket_stays_on_disk(hydrant_factory):
    loadgen = hydrant_binary().parent / "hydrant-loadgen"
    assert loadgen.exists(), f"{loadgen} not built (`make build` builds it)"
    expected = REQUESTS * PER_REQUEST * RECORD_SIZE
    server = hydrant_factory(max_buffered_bytes=2 * expected, extra_args=["--wal-read-cache-mb", "4"])
    bucket = "backlog-later"
    server.create_s3_stream("backlog", bucket, size_mb=1, interval_s=1)
    server.firehose().put_record_batch(DeliveryStreamName="backlog", Records=[{"Data": b"w" * 100}] * 500)
    expected += PER_REQUEST * RECORD_SIZE
    time.sleep(0.5)
    baseline = rss_kib(server.process.pid)

    sender = subprocess.Popen(
        [str(loadgen), "--endpoint", server.endpoint, "--stream", "backlog", "--records-per-request",
         str(PER_REQUEST), "--record-size", str(RECORD_SIZE), "--connections", "4",
         "--requests", str(REQUESTS), "--verify", "--json"], stdout=subprocess.PIPE, text=True)
    growing = []
    while sender.poll() is None:
        growing.append(rss_kib(server.process.pid))
        time.sleep(0.2)
    out = sender.communicate()[0]
    assert sender.returncode == 0, out
    print("loadgen:", json.loads(out.strip().splitlines()[-1]))
    growing.append(rss_kib(server.process.pid))
    assert buffered_bytes(server) == expected

    server.kill()
    server.start()
    time.sleep(1)
    recovered = rss_kib(server.process.pid)
    assert buffered_bytes(server) == expected

    server.s3().create_bucket(Bucket=bucket)
    draining, t_bucket = [], time.monotonic()
    deadline = t_bucket + 60  # the retry backoff after the restart is still short
    while buffered_bytes(server) > 0 and time.monotonic() < deadline:
        draining.append(rss_kib(server.process.pid))
        time.sleep(0.2)
    print(f"drained in {time.monotonic() - t_bucket:.1f} s; RSS KiB: baseline {baseline}; "
          f"growing max {max(growing)}; after recovery {recovered}; draining max {max(draining, default=0)}")
    assert delivered_bytes(server, bucket) == expected
    for phase, rss in (("growing", max(growing)), ("recovered", recovered),
                       ("draining", max(draining, default=0))):
        assert rss - baseline < RSS_GROWTH_BOUND_KIB, f"{phase}: RSS {rss} KiB, baseline {baseline} KiB"
