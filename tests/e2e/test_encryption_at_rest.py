"""Server-side encryption in the embedded object store, with boto3 and the aws CLI.

Objects written with x-amz-server-side-encryption (AES256: Hydrant's own key, made at first
start; aws:kms: a key the config names by ARN under kms_keys) and the objects of a stream with
EncryptionConfiguration.KMSEncryptionConfig are stored encrypted: their bytes cannot be found
by reading the data directory, and they are served decrypted with S3's encryption headers.
"""
import json
import os

import pytest
from botocore.exceptions import ClientError

from conftest import unique_name
from harness import wait_for

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def files_containing(directory, marker):
    """Names (as keys: the store's '@' suffix dropped) of the files under directory holding marker."""
    found = []
    for root, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                if marker in f.read():
                    found.append(name.rstrip("@"))
    return found


@pytest.fixture
def keyed(hydrant_factory, tmp_path):
    """A server with one customer-managed key (64 hex digits in a file)."""
    (tmp_path / "customer.key").write_text(os.urandom(32).hex() + "\n")
    config = tmp_path / "hydrant.yaml"
    config.write_text(f"kms_keys:\n  - {{arn: \"{KEY_ARN}\", key_file: \"{tmp_path / 'customer.key'}\"}}\n")
    return hydrant_factory(config_file=config)


def test_sse_objects_are_encrypted_on_disk_and_served_decrypted(keyed, tmp_path):
    s3 = keyed.s3()
    bucket = unique_name("b")
    s3.create_bucket(Bucket=bucket)
    marker = b"marker-" + os.urandom(8).hex().encode()
    body = marker + b" confidential " * 100
    put = s3.put_object(Bucket=bucket, Key="s3-managed", Body=body, ServerSideEncryption="AES256")
    assert put["ServerSideEncryption"] == "AES256"
    kms = s3.put_object(Bucket=bucket, Key="kms", Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=KEY_ARN)
    assert (kms["ServerSideEncryption"], kms["SSEKMSKeyId"]) == ("aws:kms", KEY_ARN)
    s3.put_object(Bucket=bucket, Key="plain", Body=body)
    # Only the unencrypted object holds the marker on disk.
    assert files_containing(keyed.data_dir, marker) == ["plain"]

    got = s3.get_object(Bucket=bucket, Key="s3-managed")
    assert got["Body"].read() == body and got["ServerSideEncryption"] == "AES256"
    head = s3.head_object(Bucket=bucket, Key="kms")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"], head["ContentLength"]) == ("aws:kms", KEY_ARN, len(body))
    assert s3.get_object(Bucket=bucket, Key="kms", Range="bytes=7-30")["Body"].read() == body[7:31]
    assert "ServerSideEncryption" not in s3.head_object(Bucket=bucket, Key="plain")
    listed = {o["Key"]: o["Size"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert listed == {"kms": len(body), "plain": len(body), "s3-managed": len(body)}

    # A copy is encrypted as its request asks.
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "plain"},
                   ServerSideEncryption="AES256")
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == body
    assert "copy" not in files_containing(keyed.data_dir, marker)

    # A 20 MiB upload with the aws CLI (multipart) sealed as it is assembled.
    big = tmp_path / "big.bin"
    big.write_bytes((marker + b"-" * 1000) * 20_000)
    keyed.aws("s3", "cp", str(big), f"s3://{bucket}/big", "--sse", "AES256", check=True, region="us-east-1")
    keyed.aws("s3", "cp", f"s3://{bucket}/big", str(tmp_path / "back"), check=True, region="us-east-1")
    assert (tmp_path / "back").read_bytes() == big.read_bytes()
    assert "big" not in files_containing(keyed.data_dir, marker)

    # Readable after a restart (the keys persist).
    keyed.restart()
    assert keyed.s3().get_object(Bucket=bucket, Key="s3-managed")["Body"].read() == body


def test_unknown_kms_keys_and_methods_are_refused(keyed):
    s3 = keyed.s3()
    bucket = unique_name("b")
    s3.create_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms",
                      SSEKMSKeyId="arn:aws:kms:us-east-1:123456789012:key/unknown")
    assert info.value.response["Error"]["Code"] == "KMS.NotFoundException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    response = keyed.raw(method="PUT", path=f"/{bucket}/k", body=b"x", service="s3", region="us-east-1",
                         headers={"x-amz-server-side-encryption": "AES128",
                                  "x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    assert response.status == 400
    assert b"The encryption method specified is not supported" in response.body


def test_a_streams_kms_configuration_encrypts_its_objects(hydrant_factory, tmp_path):
    """Delivered objects are encrypted with the stream's key; with a key the config does not
    name, delivery waits (KMS.NotFoundException in the log) and nothing is lost: once the key is
    configured and Hydrant restarted, the records arrive."""
    config = tmp_path / "hydrant.yaml"
    config.write_text("{}\n")
    server = hydrant_factory(config_file=config)
    bucket, name = unique_name("b"), unique_name("st")
    server.s3().create_bucket(Bucket=bucket)
    server.create_s3_stream(name, bucket, interval_s=1,
                            EncryptionConfiguration={"KMSEncryptionConfig": {"AWSKMSKeyARN": KEY_ARN}})
    marker = b"stream-marker-" + os.urandom(6).hex().encode()
    records = [marker + b" %d\n" % i for i in range(100)]
    assert server.firehose().put_record_batch(
        DeliveryStreamName=name, Records=[{"Data": r} for r in records])["FailedPutCount"] == 0
    wait_for(lambda: "S3.KMS.NotFoundException" in server.log_text(), timeout=20, message="the unknown key logged")
    assert server.read_objects(bucket) == {}

    assert server.stop() == 0
    (tmp_path / "customer.key").write_bytes(os.urandom(32))
    config.write_text(f"kms_keys:\n  - {{arn: \"{KEY_ARN}\", key_file: \"{tmp_path / 'customer.key'}\"}}\n")
    server.restart()
    objects = server.wait_objects(bucket, total_bytes=sum(map(len, records)), timeout=30)
    assert b"".join(objects[k] for k in sorted(objects)) == b"".join(records)
    head = server.s3().head_object(Bucket=bucket, Key=sorted(objects)[0])
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", KEY_ARN)
    bucket_dir = server.data_dir / "buckets" / bucket
    assert files_containing(bucket_dir, marker) == []


def test_a_bad_key_file_is_a_clear_start_error(hydrant_factory, tmp_path):
    from harness import ServerStartError
    (tmp_path / "short.key").write_text("not a key")
    config = tmp_path / "hydrant.yaml"
    config.write_text(f"kms_keys:\n  - {{arn: \"{KEY_ARN}\", key_file: \"{tmp_path / 'short.key'}\"}}\n")
    with pytest.raises(ServerStartError) as info:
        hydrant_factory(config_file=config)
    assert "must hold 32 bytes or 64 hex digits" in str(info.value)
