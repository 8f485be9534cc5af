"""Crash safety: records acknowledged before a SIGKILL are delivered after restart, exactly once.

An acknowledged record is one that got a RecordId in an HTTP 200 response. A record whose request
failed (connection reset by the kill) may or may not have been stored, so it may appear at most
once; nothing else may ever appear, and no object may be written twice.
"""
import collections
import random
import signal
import threading
import time

import botocore.exceptions

from harness import wait_for

STREAM = "crash"
BUCKET = "crash-bucket"


def list_keys(server, bucket):
    s3 = server.s3()
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys += [item["Key"] for item in page.get("Contents", [])]
    return keys


def check_delivery(server, acknowledged, attempted):
    """Every acknowledged record exactly once, unacknowledged ones at most once, nothing else."""
    keys = list_keys(server, BUCKET)
    assert len(keys) == len(set(keys)), "an object key appears twice"
    objects = server.read_objects(BUCKET)
    bodies = list(objects.values())
    assert len(bodies) == len(set(bodies)), "two objects have identical content (a re-delivered batch)"
    counts = collections.Counter()
    for key, body in objects.items():
        assert body.endswith(b"\n"), f"{key} does not end on a record boundary"
        counts.update(body.split(b"\n")[:-1])
    unknown = set(counts) - attempted
    assert not unknown, f"records nobody sent: {sorted(unknown)[:5]}"
    duplicated = {r: n for r, n in counts.items() if n > 1}
    assert not duplicated, f"{len(duplicated)} records delivered more than once, e.g. {list(duplicated.items())[:5]}"
    missing = acknowledged - set(counts)
    assert not missing, f"{len(missing)} acknowledged records lost, e.g. {sorted(missing)[:5]}"
    return counts


def test_kill9_right_after_ack_loses_nothing(hydrant):
    fh = hydrant.firehose(max_attempts=1)
    hydrant.s3().create_bucket(Bucket=BUCKET)
    hydrant.create_s3_stream(STREAM, BUCKET, size_mb=128, interval_s=1)
    records = [f"early-{i:05d}".encode() for i in range(2000)]
    for start in range(0, len(records), 500):
        response = fh.put_record_batch(DeliveryStreamName=STREAM,
                                       Records=[{"Data": r + b"\n"} for r in records[start:start + 500]])
        assert response["FailedPutCount"] == 0
    assert hydrant.kill() == -signal.SIGKILL

    hydrant.restart()
    expected_bytes = sum(len(r) + 1 for r in records)
    hydrant.wait_objects(BUCKET, total_bytes=expected_bytes, timeout=30)
    time.sleep(2)  # a duplicate delivery, if any, would show up now
    counts = check_delivery(hydrant, set(records), set(records))
    assert sum(counts.values()) == len(records)


def test_repeated_kill9_under_load_delivers_every_acknowledged_record_once(hydrant):
    hydrant.s3().create_bucket(Bucket=BUCKET)
    hydrant.create_s3_stream(STREAM, BUCKET, size_mb=1, interval_s=1)

    stop = threading.Event()
    lock = threading.Lock()
    acknowledged, attempted = set(), set()
    stats = collections.Counter()

    def producer(thread_id):
        client, endpoint, n = None, None, 0
        while not stop.is_set():
            if hydrant.endpoint != endpoint:
                endpoint = hydrant.endpoint
                client = hydrant.firehose(max_attempts=1, read_timeout=10)
            batch = [f"rec-{thread_id}-{n + i}".encode() for i in range(random.randint(1, 60))]
            n += len(batch)
            with lock:
                attempted.update(batch)
            try:
                response = client.put_record_batch(DeliveryStreamName=STREAM,
                                                   Records=[{"Data": r + b"\n"} for r in batch])
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
                with lock:
                    stats[type(error).__name__] += 1
                time.sleep(0.05)  # the server is down or restarting
                continue
            with lock:
                stats["ok_calls"] += 1
                for record, entry in zip(batch, response["RequestResponses"]):
                    if entry.get("RecordId"):
                        acknowledged.add(record)

    threads = [threading.Thread(target=producer, args=(i,), daemon=True) for i in range(3)]
    for thread in threads:
        thread.start()
    try:
        rng = random.Random()
        for _ in range(3):
            time.sleep(rng.uniform(1.0, 3.0))
            assert hydrant.kill() == -signal.SIGKILL
            time.sleep(rng.uniform(0.0, 0.3))
            hydrant.restart()
        time.sleep(1.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

    assert len(acknowledged) > 1000, f"too little load to mean anything: {len(acknowledged)} acked, {stats}"
    assert hydrant.stop(signal.SIGTERM) == 0, "drain after the last restart"
    hydrant.restart()
    # The drain delivered everything before exit; allow a moment for any late recovery work.
    wait_for(lambda: sum(map(len, hydrant.read_objects(BUCKET).values()))
             >= sum(len(r) + 1 for r in acknowledged), timeout=20, message="acknowledged records delivered")
    time.sleep(1.5)
    counts = check_delivery(hydrant, acknowledged, attempted)
    print(f"acknowledged={len(acknowledged)} delivered={sum(counts.values())} attempted={len(attempted)} {dict(stats)}")
