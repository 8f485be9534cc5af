"""Source record backup (S3BackupMode Enabled) end to end with boto3: the records as they
arrived go to S3BackupConfiguration's bucket and prefix with its own buffering and compression,
while the destination gets the transformed records; backup enabled later by UpdateDestination;
kill -9 before the backup is written; a missing backup bucket does not hold up the destination.
"""
import gzip

from conftest import unique_name
from harness import wait_for

ROLE = "arn:aws:iam::123456789012:role/FirehoseDeliveryRole"
APPEND = {"Enabled": True, "Processors": [{"Type": "AppendDelimiterToRecord"}]}


def backup_config(bucket, prefix="source/", compression="GZIP", interval_s=1):
    return {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": prefix,
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": interval_s},
            "CompressionFormat": compression}


def put(fh, name, records):
    response = fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": r} for r in records])
    assert response["FailedPutCount"] == 0, response


def backup_bytes(server, bucket, expected_len, timeout=30):
    """The backup objects' records, decompressed and concatenated in key order."""
    def ready():
        objects = server.read_objects(bucket)
        body = b"".join(gzip.decompress(objects[k]) for k in sorted(objects))
        return (body, objects) if len(body) >= expected_len else None
    return wait_for(ready, timeout=timeout, interval=0.2, message=f"{expected_len} backed-up bytes")


def test_backup_gets_the_source_records_with_its_own_compression(hydrant):
    data_bucket, backup_bucket, name = unique_name("bkt"), unique_name("bak"), unique_name("st")
    s3 = hydrant.s3()
    s3.create_bucket(Bucket=data_bucket)
    s3.create_bucket(Bucket=backup_bucket)
    hydrant.create_s3_stream(name, data_bucket, prefix="out/", ProcessingConfiguration=APPEND,
                             S3BackupMode="Enabled", S3BackupConfiguration=backup_config(backup_bucket))
    records = [f"record-{i}".encode() for i in range(300)]
    fh = hydrant.firehose()
    put(fh, name, records)

    delivered = hydrant.wait_objects(data_bucket, "out/", total_bytes=sum(len(r) + 1 for r in records))
    assert b"".join(delivered[k] for k in sorted(delivered)) == b"".join(r + b"\n" for r in records)
    body, objects = backup_bytes(hydrant, backup_bucket, sum(map(len, records)))
    assert body == b"".join(records)  # untransformed, byte for byte
    for key in objects:
        assert key.startswith("source/") and key.endswith(".gz"), key
        assert key.split("/")[5].startswith(f"{name}-1-"), key  # source/YYYY/MM/dd/HH/<name>-...

    description = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    extended = description["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert extended["S3BackupMode"] == "Enabled"
    assert extended["S3BackupDescription"]["BucketARN"] == f"arn:aws:s3:::{backup_bucket}"
    assert extended["S3BackupDescription"]["CompressionFormat"] == "GZIP"


def test_backup_enabled_by_update_destination_and_never_disabled(hydrant):
    data_bucket, backup_bucket, name = unique_name("bkt"), unique_name("bak"), unique_name("st")
    s3 = hydrant.s3()
    s3.create_bucket(Bucket=data_bucket)
    s3.create_bucket(Bucket=backup_bucket)
    hydrant.create_s3_stream(name, data_bucket, prefix="out/")
    fh = hydrant.firehose()
    before = [b"before-%d;" % i for i in range(50)]
    put(fh, name, before)
    hydrant.wait_objects(data_bucket, "out/", total_bytes=sum(map(len, before)))

    def update(**destination):
        version = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]["VersionId"]
        fh.update_destination(DeliveryStreamName=name, CurrentDeliveryStreamVersionId=version,
                              DestinationId="destinationId-000000000001",
                              ExtendedS3DestinationUpdate=destination)

    update(S3BackupMode="Enabled", S3BackupUpdate=backup_config(backup_bucket))
    after = [b"after-%d;" % i for i in range(50)]
    put(fh, name, after)
    body, _ = backup_bytes(hydrant, backup_bucket, sum(map(len, after)))
    assert body == b"".join(after)  # only what arrived once backup was on

    try:
        update(S3BackupMode="Disabled")
        raise AssertionError("disabling backup was accepted")
    except fh.exceptions.InvalidArgumentException as error:
        assert "cannot be changed from Enabled to Disabled" in str(error)


def test_kill9_before_the_backup_is_written_loses_and_repeats_nothing(hydrant):
    data_bucket, backup_bucket, name = unique_name("bkt"), unique_name("bak"), unique_name("st")
    s3 = hydrant.s3()
    s3.create_bucket(Bucket=data_bucket)
    s3.create_bucket(Bucket=backup_bucket)
    # The destination flushes after 1 s, the backup only after 5 s: the kill falls between.
    hydrant.create_s3_stream(name, data_bucket, prefix="out/", S3BackupMode="Enabled",
                             S3BackupConfiguration=backup_config(backup_bucket, compression="UNCOMPRESSED",
                                                                 interval_s=5))
    records = [b"r%04d;" % i for i in range(400)]
    put(hydrant.firehose(), name, records)
    hydrant.wait_objects(data_bucket, "out/", total_bytes=sum(map(len, records)))
    assert hydrant.read_objects(backup_bucket) == {}
    hydrant.kill()
    hydrant.restart()

    def backed_up():
        objects = hydrant.read_objects(backup_bucket)
        body = b"".join(objects[k] for k in sorted(objects))
        return body if len(body) >= sum(map(len, records)) else None
    assert wait_for(backed_up, timeout=30, message="backup after restart") == b"".join(records)
    data = hydrant.read_objects(data_bucket, "out/")
    assert b"".join(data[k] for k in sorted(data)) == b"".join(records)  # not delivered twice


def test_missing_backup_bucket_does_not_hold_up_the_destination(hydrant):
    data_bucket, backup_bucket, name = unique_name("bkt"), unique_name("bak"), unique_name("st")
    hydrant.s3().create_bucket(Bucket=data_bucket)
    hydrant.create_s3_stream(name, data_bucket, prefix="out/", S3BackupMode="Enabled",
                             S3BackupConfiguration=backup_config(backup_bucket))
    records = [b"x%03d;" % i for i in range(100)]
    put(hydrant.firehose(), name, records)
    hydrant.wait_objects(data_bucket, "out/", total_bytes=sum(map(len, records)))
    wait_for(lambda: "does not exist" in hydrant.log_text() and "backup delivery" in hydrant.log_text(),
             message="the backup failure in the log")
    hydrant.s3().create_bucket(Bucket=backup_bucket)  # the data was kept: it arrives now
    body, _ = backup_bytes(hydrant, backup_bucket, sum(map(len, records)), timeout=40)
    assert body == b"".join(records)
