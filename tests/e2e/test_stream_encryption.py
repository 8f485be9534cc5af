"""Server-side encryption of delivery streams (StartDeliveryStreamEncryption and friends).

With boto3 and the aws CLI: CreateDeliveryStream with DeliveryStreamEncryptionConfigurationInput,
Start/StopDeliveryStreamEncryption and what DescribeDeliveryStream and the puts report; the
records of an encrypted stream cannot be found in the data directory while they wait in the
log, in dynamic partitioning's spool files, or once delivered to the embedded store; a key the
config no longer names is a clear start-up error that loses nothing.
"""
import json
import os
import threading
import time

import pytest
from botocore.exceptions import ClientError

from conftest import unique_name
from harness import ServerStartError, wait_for

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = "arn:aws:iam::123456789012:role/firehose-role"


def files_containing(directory, marker, seen=None):
    """Paths (relative to directory) of the files holding marker; `seen` collects every name."""
    found = []
    for root, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            if seen is not None:
                seen.add(name)
            try:
                with open(path, "rb") as f:
                    if marker in f.read():
                        found.append(os.path.relpath(path, directory))
            except FileNotFoundError:  # released while we looked
                pass
    return found


def key_config(tmp_path, with_key=True):
    config = tmp_path / "hydrant.yaml"
    if not (tmp_path / "customer.key").exists():
        (tmp_path / "customer.key").write_text(os.urandom(32).hex() + "\n")
    config.write_text(f"kms_keys:\n  - {{arn: \"{KEY_ARN}\", key_file: \"{tmp_path / 'customer.key'}\"}}\n"
                      if with_key else "{}\n")
    return config


@pytest.fixture
def keyed(hydrant_factory, tmp_path):
    return hydrant_factory(config_file=key_config(tmp_path))


def encryption_of(firehose, name):
    return firehose.describe_delivery_stream(
        DeliveryStreamName=name)["DeliveryStreamDescription"]["DeliveryStreamEncryptionConfiguration"]


def test_create_with_encryption_describe_and_puts(keyed):
    firehose, bucket = keyed.firehose(), unique_name("b")
    keyed.s3().create_bucket(Bucket=bucket)
    cmk, owned = unique_name("cmk"), unique_name("own")
    firehose.create_delivery_stream(
        DeliveryStreamName=cmk,
        DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": KEY_ARN},
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}"})
    firehose.create_delivery_stream(
        DeliveryStreamName=owned,
        DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"},
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}"})
    keyed.wait_active(cmk)
    keyed.wait_active(owned)
    assert encryption_of(firehose, cmk) == {"KeyARN": KEY_ARN, "KeyType": "CUSTOMER_MANAGED_CMK", "Status": "ENABLED"}
    assert encryption_of(firehose, owned) == {"KeyType": "AWS_OWNED_CMK", "Status": "ENABLED"}
    assert firehose.put_record(DeliveryStreamName=cmk, Record={"Data": b"x"})["Encrypted"] is True
    batch = firehose.put_record_batch(DeliveryStreamName=owned, Records=[{"Data": b"y"}] * 3)
    assert batch["Encrypted"] is True and batch["FailedPutCount"] == 0

    # A key the server does not have, and the rules of the input.
    with pytest.raises(firehose.exceptions.InvalidKMSResourceException) as info:
        firehose.create_delivery_stream(
            DeliveryStreamName=unique_name("bad"),
            DeliveryStreamEncryptionConfigurationInput={
                "KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": KEY_ARN.replace("1234abcd", "99999999")},
            ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}"})
    assert info.value.response["Error"]["Code"] == "InvalidKMSResourceException"
    assert "does not exist" in info.value.response["Error"]["Message"]
    with pytest.raises(firehose.exceptions.InvalidArgumentException) as info:
        firehose.create_delivery_stream(
            DeliveryStreamName=unique_name("bad"),
            DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK"},
            ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}"})
    assert "KeyARN" in info.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as info:
        firehose.create_delivery_stream(
            DeliveryStreamName=unique_name("bad"),
            DeliveryStreamEncryptionConfigurationInput={"KeyType": "SOME_KEY"},
            ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}"})
    assert info.value.response["Error"]["Code"] == "ValidationException"


def test_start_and_stop_encryption_with_every_record_delivered(keyed, tmp_path):
    firehose, bucket, name = keyed.firehose(), unique_name("b"), unique_name("st")
    keyed.s3().create_bucket(Bucket=bucket)
    keyed.create_s3_stream(name, bucket, interval_s=1)
    assert encryption_of(firehose, name) == {"Status": "DISABLED"}
    sent = []

    def put(data, encrypted):
        sent.append(data)
        assert firehose.put_record(DeliveryStreamName=name, Record={"Data": data})["Encrypted"] is encrypted

    put(b"plain-1\n", False)
    firehose.start_delivery_stream_encryption(DeliveryStreamName=name)  # AWS_OWNED_CMK by default
    wait_for(lambda: encryption_of(firehose, name)["Status"] == "ENABLED", message="ENABLED")
    assert encryption_of(firehose, name) == {"KeyType": "AWS_OWNED_CMK", "Status": "ENABLED"}
    put(b"owned-1\n", True)

    # The aws CLI moves it to the customer-managed key.
    keyed.aws("firehose", "start-delivery-stream-encryption", "--delivery-stream-name", name,
              "--delivery-stream-encryption-configuration-input",
              json.dumps({"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": KEY_ARN}), check=True)
    wait_for(lambda: encryption_of(firehose, name).get("KeyARN") == KEY_ARN, message="the CMK")
    assert encryption_of(firehose, name)["Status"] == "ENABLED"
    put(b"cmk-1\n", True)

    # A key that does not exist: ENABLING_FAILED with the reason; the previous key stays in use.
    unknown = KEY_ARN.replace("1234abcd", "99999999")
    firehose.start_delivery_stream_encryption(
        DeliveryStreamName=name,
        DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": unknown})
    failed = wait_for(lambda: (e := encryption_of(firehose, name))["Status"] == "ENABLING_FAILED" and e,
                      message="ENABLING_FAILED")
    assert failed["FailureDescription"]["Type"] == "KMS_KEY_NOT_FOUND"
    assert unknown in failed["FailureDescription"]["Details"]
    put(b"cmk-2\n", True)

    firehose.stop_delivery_stream_encryption(DeliveryStreamName=name)
    wait_for(lambda: encryption_of(firehose, name) == {"Status": "DISABLED"}, message="DISABLED")
    put(b"plain-2\n", False)

    # Every record, in order, whatever key it was stored under; the state survives a restart.
    objects = keyed.wait_objects(bucket, total_bytes=sum(map(len, sent)), timeout=30)
    assert b"".join(objects[k] for k in sorted(objects)) == b"".join(sent)
    keyed.restart()
    assert encryption_of(keyed.firehose(), name) == {"Status": "DISABLED"}

    with pytest.raises(ClientError) as info:
        keyed.firehose().start_delivery_stream_encryption(DeliveryStreamName=unique_name("none"))
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_25_encryption_changes_a_day_then_limit_exceeded(keyed):
    firehose, bucket, name = keyed.firehose(), unique_name("b"), unique_name("st")
    keyed.s3().create_bucket(Bucket=bucket)
    keyed.create_s3_stream(name, bucket)
    for i in range(25):
        if i % 2 == 0:
            firehose.start_delivery_stream_encryption(DeliveryStreamName=name)
        else:
            firehose.stop_delivery_stream_encryption(DeliveryStreamName=name)
    with pytest.raises(firehose.exceptions.LimitExceededException) as info:
        firehose.stop_delivery_stream_encryption(DeliveryStreamName=name)
    assert "25" in info.value.response["Error"]["Message"]
    assert encryption_of(firehose, name)["Status"] == "ENABLED"  # the 25th call stands
    keyed.restart()  # the count is kept
    with pytest.raises(ClientError) as info:
        keyed.firehose().start_delivery_stream_encryption(DeliveryStreamName=name)
    assert info.value.response["Error"]["Code"] == "LimitExceededException"


def test_no_record_of_an_encrypted_stream_is_readable_in_the_data_directory(keyed):
    """Under load, with records waiting in the log, spilled by dynamic partitioning and delivered
    to the embedded store, the data directory never holds a record's marker."""
    firehose, bucket = keyed.firehose(), unique_name("b")
    keyed.s3().create_bucket(Bucket=bucket)
    plain_name, part_name = unique_name("enc"), unique_name("part")
    marker = b"secret-marker-" + os.urandom(6).hex().encode()
    encryption = {"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": KEY_ARN}
    firehose.create_delivery_stream(
        DeliveryStreamName=plain_name, DeliveryStreamEncryptionConfigurationInput=encryption,
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": "plain/",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 2}})
    firehose.create_delivery_stream(
        DeliveryStreamName=part_name, DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"},
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
            "Prefix": "part/shard=!{partitionKeyFromQuery:shard}/", "ErrorOutputPrefix": "errors/",
            "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 4},
            "DynamicPartitioningConfiguration": {"Enabled": True},
            "ProcessingConfiguration": {"Enabled": True, "Processors": [{
                "Type": "MetadataExtraction", "Parameters": [
                    {"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{shard: .shard}"},
                    {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]}]}})
    keyed.wait_active(plain_name)
    keyed.wait_active(part_name)

    stop, sent, errors = threading.Event(), {plain_name: [], part_name: []}, []
    padding = "p" * 900

    def produce(name):
        client = keyed.firehose()
        i = 0
        while not stop.is_set():
            records = [json.dumps({"shard": (i + j) % 3, "n": i + j, "pad": padding,
                                   "m": marker.decode()}).encode() + b"\n" for j in range(100)]
            response = client.put_record_batch(DeliveryStreamName=name, Records=[{"Data": r} for r in records])
            if response["FailedPutCount"] or not response["Encrypted"]:
                errors.append(response)
            sent[name].extend(records)
            i += 100

    threads = [threading.Thread(target=produce, args=(n,)) for n in (plain_name, part_name)]
    for t in threads:
        t.start()
    seen = set()
    try:
        scans = 0
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            assert files_containing(keyed.data_dir, marker, seen) == []
            scans += 1
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[:2]
    # What was scanned: log segments, and the partitioned stream's spool files.
    assert any(n.endswith(".wal") for n in seen) and any(n.endswith(".spool") for n in seen), sorted(seen)[:20]
    assert files_containing(keyed.data_dir, marker) == []

    objects = keyed.wait_objects(bucket, total_bytes=sum(len(r) for rs in sent.values() for r in rs), timeout=60)
    delivered = b"".join(objects.values())
    assert delivered.count(marker) == len(sent[plain_name]) + len(sent[part_name])
    assert files_containing(keyed.data_dir, marker) == []
    head = keyed.s3().head_object(Bucket=bucket, Key=sorted(k for k in objects if k.startswith("plain/"))[0])
    assert head["ServerSideEncryption"] == "AES256"
    print(f"scans={scans} records={ {k: len(v) for k, v in sent.items()} } objects={len(objects)}")


def test_a_missing_key_is_a_clear_start_error_and_loses_nothing(hydrant_factory, tmp_path):
    config = key_config(tmp_path)
    server = hydrant_factory(config_file=config)
    firehose, bucket, name = server.firehose(), unique_name("b"), unique_name("st")
    server.s3().create_bucket(Bucket=bucket)
    firehose.create_delivery_stream(
        DeliveryStreamName=name,
        DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": KEY_ARN},
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
                                            "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 900}})
    server.wait_active(name)
    records = [b"kept %d\n" % i for i in range(50)]
    assert firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": r} for r in records])["FailedPutCount"] == 0
    assert server.kill() == -9  # the records wait in the encrypted log

    key_config(tmp_path, with_key=False)
    with pytest.raises(ServerStartError) as info:
        server.restart()
    assert KEY_ARN in str(info.value) and "kms_keys" in str(info.value)

    key_config(tmp_path, with_key=True)
    server.restart()
    assert server.stop() == 0  # a clean stop delivers what waits
    server.restart()
    objects = server.wait_objects(bucket, total_bytes=sum(map(len, records)), timeout=30)
    assert b"".join(objects[k] for k in sorted(objects)) == b"".join(records)
