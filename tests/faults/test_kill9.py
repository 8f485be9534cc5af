"""kill -9 at seeded random moments, in a loop, across the stages a record passes through.

Each test runs one server with small WAL segments (--wal-segment-bytes 16384, so segments roll
every few group commits and are released after every delivery), keeps producers or a moment of
interest going, SIGKILLs the server at a random time inside the window where that moment
happens, restarts it on the same data dir, and repeats. At the end the server is drained with
SIGTERM, restarted, and the embedded bucket is checked with faults.account(): every
acknowledged record exactly once, nothing invented, no batch under two keys.
Replay a failing timing with HYDRANT_FAULT_SEED=<printed seed>.
"""
import signal
import threading
import time
import zipfile
from pathlib import Path

from faults import Ledger, Producer, account, wait_delivered

SEGMENT_BYTES = 16384
ROLE = "arn:aws:iam::123456789012:role/firehose-role"


def small_segment_server(hydrant_factory):
    return hydrant_factory(extra_args=["--wal-segment-bytes", str(SEGMENT_BYTES)])


def kill_and_restart(server, iteration, log):
    assert server.kill() == -signal.SIGKILL, f"iteration {iteration}: server had already exited"
    server.restart()
    log.append(iteration)


def finish(server, bucket, ledger, error_prefix=None, minimum_acks=200):
    """SIGTERM drain, restart, and the accounting."""
    assert len(ledger.acknowledged) >= minimum_acks, f"too little load to mean anything: {ledger.stats}"
    assert server.stop(signal.SIGTERM) == 0, "drain after the last restart"
    server.restart()
    objects = wait_delivered(lambda: server.read_objects(bucket), ledger, timeout=60,
                             error_prefix=error_prefix)
    counts = account(objects, ledger, error_prefix=error_prefix)
    redelivered = server.log_text().count("one object to deliver again under the same key")
    wal_files = sorted(p.name for p in Path(server.data_dir).rglob("*") if p.parent.name == "wal")
    print(f"acknowledged={len(ledger.acknowledged)} delivered={sum(counts.values())} "
          f"attempted={len(ledger.attempted)} objects={len(objects)} "
          f"restarts that found an upload in flight={redelivered} wal={wal_files[-3:]} {dict(ledger.stats)}")
    return objects


def test_kill9_during_puts_under_load_and_segment_rolls(hydrant_factory, rng):
    """15 kills while 3 producers send: group commits, segment rolls and releases all in flight."""
    server = small_segment_server(hydrant_factory)
    server.s3().create_bucket(Bucket="load")
    server.create_s3_stream("load", "load", size_mb=1, interval_s=1)
    ledger, kills = Ledger(), []
    with Producer(server, "load", ledger, tag="load", threads=3, batch=(1, 60)):
        for i in range(15):
            time.sleep(rng.uniform(0.05, 0.8))
            kill_and_restart(server, i, kills)
    last_segment = max(int(p.name.split(".")[0]) for p in Path(server.data_dir).rglob("*.wal"))
    print(f"last WAL segment number: {last_segment}")
    assert last_segment > 20, "too few segment rolls to mean anything"
    finish(server, "load", ledger)


def test_kill9_around_buffer_flush_and_object_upload(hydrant_factory, rng):
    """10 kills timed around the 1-second interval flush, 10 around size flushes of 1 MiB objects
    (records of 4 KiB, so each flush is a multi-hundred-KiB write and rename in the store)."""
    server = small_segment_server(hydrant_factory)
    server.s3().create_bucket(Bucket="flush")
    server.create_s3_stream("interval", "flush", prefix="interval/", size_mb=128, interval_s=1)
    server.create_s3_stream("size", "flush", prefix="size/", size_mb=1, interval_s=900)
    ledger, kills = Ledger(), []
    interval = Producer(server, "interval", ledger, tag="interval", threads=1, batch=(1, 20), pause=0.05)
    size = Producer(server, "size", ledger, tag="size", threads=2, batch=(20, 60), record_size=4096)
    with interval, size:
        for i in range(20):
            # The interval flush fires about 1 s after the first record buffered; the size flush
            # every ~1 MiB, i.e. every few calls: a window of 0.6..1.4 s covers both.
            time.sleep(rng.uniform(0.6, 1.4) if i < 10 else rng.uniform(0.05, 0.5))
            kill_and_restart(server, i, kills)
    finish(server, "flush", ledger)


def test_kill9_during_lambda_invocations(hydrant_factory, rng, tmp_path):
    """8 kills while a slow Python transformation (0.3 s per invocation) runs."""
    server = small_segment_server(hydrant_factory)
    package = tmp_path / "slow.zip"
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("fn.py", "import time\n"
                            "def handler(event, context):\n"
                            "    time.sleep(0.3)\n"
                            "    return {'records': [{'recordId': r['recordId'], 'result': 'Ok', 'data': r['data']}\n"
                            "                        for r in event['records']]}\n")
    result = server.aws("lambda", "create-function", "--function-name", "slow", "--runtime", "python3.11",
                        "--handler", "fn.handler", "--role", ROLE, "--timeout", "10",
                        "--zip-file", f"fileb://{package}")
    assert result.returncode == 0, result.stderr
    server.s3().create_bucket(Bucket="lambda")
    server.create_s3_stream("lambda", "lambda", prefix="out/", size_mb=1, interval_s=1, ProcessingConfiguration={
        "Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": [
            {"ParameterName": "LambdaArn",
             "ParameterValue": "arn:aws:lambda:us-east-1:123456789012:function:slow"}]}]})
    ledger, kills = Ledger(), []
    with Producer(server, "lambda", ledger, tag="lambda", threads=1, batch=(5, 30), pause=0.1):
        for i in range(8):
            # The first invocation after a start also starts the worker: the window reaches past it.
            time.sleep(rng.uniform(0.8, 2.5))
            kill_and_restart(server, i, kills)
    finish(server, "lambda", ledger, error_prefix="out/processing-failed/", minimum_acks=50)


def test_kill9_right_after_a_checkpoint(hydrant_factory, rng):
    """8 kills within 0..30 ms of a new object appearing: the journal's Done line, the WAL release
    and the segment deletions that follow an upload."""
    server = small_segment_server(hydrant_factory)
    server.s3().create_bucket(Bucket="ckpt")
    server.create_s3_stream("ckpt", "ckpt", size_mb=1, interval_s=1)
    ledger, kills = Ledger(), []
    bucket_dir = Path(server.data_dir) / "buckets" / "ckpt"

    def object_count():
        return sum(1 for p in bucket_dir.rglob("*") if p.is_file() and ".hydrant" not in p.parts)

    with Producer(server, "ckpt", ledger, tag="ckpt", threads=2, batch=(1, 40), pause=0.02):
        for i in range(8):
            before = object_count()
            deadline = time.monotonic() + 5
            while object_count() == before and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.03))
            kill_and_restart(server, i, kills)
    finish(server, "ckpt", ledger)


def test_kill9_during_encryption_changes(hydrant_factory, rng, tmp_path):
    """12 kills while Start/StopDeliveryStreamEncryption move the stream between plaintext, Hydrant's
    own key and a customer-managed key under load: after each restart the stream is ENABLED or
    DISABLED (a change a kill interrupted is completed, one that was answered stays done), puts
    report the state, and at the end every acknowledged record is delivered exactly once."""
    key_arn = "arn:aws:kms:us-east-1:123456789012:key/00000000-1111-2222-3333-444444444444"
    (tmp_path / "cmk.key").write_text("ab" * 32)
    config = tmp_path / "hydrant.yaml"
    config.write_text(f"kms_keys:\n  - {{arn: \"{key_arn}\", key_file: \"{tmp_path / 'cmk.key'}\"}}\n")
    server = hydrant_factory(config_file=config, extra_args=["--wal-segment-bytes", str(SEGMENT_BYTES)])
    server.s3().create_bucket(Bucket="enc")
    server.create_s3_stream("enc", "enc", size_mb=1, interval_s=1)
    changes = [("start", {"KeyType": "AWS_OWNED_CMK"}), ("start", {"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": key_arn}),
               ("stop", None)]
    ledger, kills, answered = Ledger(), [], 0
    with Producer(server, "enc", ledger, tag="enc", threads=2, batch=(1, 40)):
        for i in range(12):
            kind, key = changes[i % 3]
            result, sent = {}, threading.Event()
            client = server.firehose(max_attempts=1)
            client.meta.events.register("before-send.firehose.*", lambda **_: sent.set())

            def change():
                try:
                    if kind == "start":
                        client.start_delivery_stream_encryption(
                            DeliveryStreamName="enc", DeliveryStreamEncryptionConfigurationInput=key)
                    else:
                        client.stop_delivery_stream_encryption(DeliveryStreamName="enc")
                    result["ok"] = True
                except Exception as e:  # the kill cut the call
                    result["error"] = e

            caller = threading.Thread(target=change)
            caller.start()
            assert sent.wait(10)
            # The change takes a few fsyncs (ENABLING persisted, the log's new segment, ENABLED).
            time.sleep(rng.uniform(0.0, 0.012))
            kill_and_restart(server, i, kills)
            caller.join()
            description = server.firehose().describe_delivery_stream(DeliveryStreamName="enc")
            state = description["DeliveryStreamDescription"]["DeliveryStreamEncryptionConfiguration"]
            assert state["Status"] in ("ENABLED", "DISABLED"), state
            if result.get("ok"):
                answered += 1
                assert state["Status"] == ("ENABLED" if kind == "start" else "DISABLED"), (i, kind, state)
                if kind == "start":
                    assert state["KeyType"] == key["KeyType"] and state.get("KeyARN") == key.get("KeyARN"), state
            probe = b"probe-%d\n" % i
            with ledger.lock:
                ledger.attempted.add(probe)
            put = server.firehose().put_record(DeliveryStreamName="enc", Record={"Data": probe})
            with ledger.lock:
                ledger.acknowledged.add(probe)
            assert put["Encrypted"] is (state["Status"] == "ENABLED")
    print(f"changes answered before their kill: {answered} of 12")
    finish(server, "enc", ledger)
