"""Shared pieces of the fault-injection suites: load producers that keep a ledger of what was
acknowledged, and the final accounting every test ends with.

Accounting rule (the same as tests/e2e/test_crash.py): a record is acknowledged when its
PutRecordBatch entry got a RecordId in an HTTP 200 response. Every acknowledged record must be
delivered exactly once (in an object, or in the error output when a processor failed it); a
record whose request failed may appear at most once; no record nobody sent may appear; no two
objects may have the same content (a batch delivered twice under two keys).
"""
import base64
import collections
import json
import threading
import time

import botocore.exceptions

from harness import wait_for


class Ledger:
    """What producers attempted and what the server acknowledged (thread-safe)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.attempted = set()
        self.acknowledged = set()
        self.stats = collections.Counter()
        self.messages = collections.Counter()  # error messages of failed calls

    def ack_bytes(self):
        with self.lock:
            return sum(map(len, self.acknowledged))


class Producer:
    """Threads that send PutRecordBatch calls of unique newline-terminated records until stopped.

    Survives server restarts (a new client whenever server.endpoint changes) and counts every
    failure kind in ledger.stats. `pause` is the sleep between calls of one thread.
    """

    def __init__(self, server, stream, ledger, tag="r", threads=2, batch=(1, 40), pause=0.0,
                 record_size=0, read_timeout=10):
        self.server, self.stream, self.ledger, self.tag = server, stream, ledger, tag
        self.batch, self.pause, self.record_size, self.read_timeout = batch, pause, record_size, read_timeout
        self.stop_event = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def _record(self, thread_id, n):
        head = f"{self.tag}-{thread_id}-{n}".encode()
        return head + b"." * max(0, self.record_size - len(head) - 1) + b"\n"

    def _run(self, thread_id):
        import random
        local = random.Random(thread_id)
        client, endpoint, n = None, None, 0
        ledger = self.ledger
        while not self.stop_event.is_set():
            if self.server.endpoint != endpoint:
                endpoint = self.server.endpoint
                client = self.server.firehose(max_attempts=1, read_timeout=self.read_timeout)
            records = [self._record(thread_id, n + i) for i in range(local.randint(*self.batch))]
            n += len(records)
            with ledger.lock:
                ledger.attempted.update(records)
            try:
                response = client.put_record_batch(DeliveryStreamName=self.stream,
                                                   Records=[{"Data": r} for r in records])
            except botocore.exceptions.ClientError as error:
                with ledger.lock:
                    ledger.stats[error.response["Error"]["Code"]] += 1
                    ledger.messages[error.response["Error"].get("Message", "")[:300]] += 1
                time.sleep(0.05)
                continue
            except botocore.exceptions.BotoCoreError as error:  # server down or restarting
                with ledger.lock:
                    ledger.stats[type(error).__name__] += 1
                time.sleep(0.05)
                continue
            with ledger.lock:
                ledger.stats["ok_calls"] += 1
                for record, entry in zip(records, response["RequestResponses"]):
                    if entry.get("RecordId"):
                        ledger.acknowledged.add(record)
                    else:
                        ledger.stats[f"entry:{entry.get('ErrorCode')}:{entry.get('ErrorMessage')}"] += 1
            if self.pause:
                time.sleep(self.pause)


def error_output_records(body):
    """Records in a processing-failed/ error object (JSON lines with base64 rawData)."""
    return [base64.b64decode(json.loads(line)["rawData"]) for line in body.splitlines() if line.strip()]


def account(objects, ledger, error_prefix=None):
    """Checks the accounting rule over {key: bytes}; returns the Counter of delivered records.

    Objects whose key starts with error_prefix are error output (their records count as delivered).
    """
    bodies = [body for body in objects.values() if body]
    assert len(bodies) == len(set(bodies)), "two objects have identical content (a batch delivered twice)"
    counts = collections.Counter()
    for key, body in objects.items():
        if error_prefix and key.startswith(error_prefix):
            counts.update(error_output_records(body))
            continue
        assert not body or body.endswith(b"\n"), f"{key} does not end on a record boundary"
        counts.update(line + b"\n" for line in body.split(b"\n")[:-1])
    with ledger.lock:
        attempted, acknowledged = set(ledger.attempted), set(ledger.acknowledged)
    unknown = set(counts) - attempted
    assert not unknown, f"{len(unknown)} records nobody sent, e.g. {sorted(unknown)[:5]}"
    duplicated = {r: n for r, n in counts.items() if n > 1}
    assert not duplicated, f"{len(duplicated)} records delivered more than once, e.g. {list(duplicated.items())[:5]}"
    missing = acknowledged - set(counts)
    assert not missing, f"{len(missing)} acknowledged records lost, e.g. {sorted(missing)[:5]}"
    return counts


def wait_delivered(read_objects, ledger, timeout=60, error_prefix=None):
    """Polls read_objects() until every acknowledged record is in it; then waits a little more so
    that a duplicate delivery, if any, would show, and returns the final {key: bytes}."""
    with ledger.lock:
        acknowledged = set(ledger.acknowledged)

    def delivered():
        try:
            objects = read_objects()
        except Exception:  # bucket missing, server restarting
            return None
        seen = set()
        for key, body in objects.items():
            if error_prefix and key.startswith(error_prefix):
                seen.update(error_output_records(body))
            else:
                seen.update(line + b"\n" for line in body.split(b"\n")[:-1])
        return objects if acknowledged <= seen else None

    wait_for(delivered, timeout=timeout, interval=0.3,
             message=f"{len(acknowledged)} acknowledged records delivered")
    time.sleep(1.5)
    return read_objects()


def rss_kib(pid):
    """VmRSS of a process in KiB, from /proc/<pid>/status."""
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")
