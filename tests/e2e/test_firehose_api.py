"""The Firehose JSON API of a running hydrant, driven by boto3, the aws CLI and raw signed HTTP.

Expectations come from /work/shared/reference/firehose-spec.md (the real service) and
clients-and-peers.md (what the clients send and accept). Most tests share one server per module
(unique stream/bucket names); tests that need a clean catalog or special flags start their own.
"""
import base64
import datetime
import hashlib
import json
import re
import signal
import subprocess
import time

import botocore.exceptions
import pytest

from conftest import unique_name
from harness import DEFAULT_ACCOUNT, wait_for

UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
MAX_RECORD = 1_024_000


# ---- helpers ---------------------------------------------------------------------------------


def expect_error(client, code, fn, *, status=400, message=None, **kwargs):
    """Calls fn(**kwargs) expecting the AWS error `code`; checks class, status (int or tuple), headers.

    Modelled errors must raise client.exceptions.<code>; framework errors (ValidationException)
    a ClientError with that code. message: exact text (str) or a compiled regex to search.
    Returns the botocore error response dict.
    """
    exception_class = getattr(client.exceptions, code, botocore.exceptions.ClientError)
    with pytest.raises(exception_class) as info:
        fn(**kwargs)
    response = info.value.response
    assert response["Error"]["Code"] == code, response
    metadata = response["ResponseMetadata"]
    assert metadata["HTTPStatusCode"] in (status if isinstance(status, tuple) else (status,)), response
    headers = metadata["HTTPHeaders"]
    assert headers.get("x-amzn-errortype", "").split(":")[0] == code, headers
    assert headers.get("x-amzn-requestid"), headers
    if isinstance(message, str):
        assert response["Error"]["Message"] == message, response
    elif message is not None:
        assert message.search(response["Error"]["Message"]), response
    return response


def new_bucket(server, name=None):
    name = name or unique_name("bkt")
    server.s3().create_bucket(Bucket=name)
    return name


def new_stream(server, bucket=None, prefix="", size_mb=1, interval_s=1, wait=True, **extra):
    """Creates a bucket (unless given) and an ExtendedS3 stream on it; returns (stream, bucket)."""
    bucket = bucket or new_bucket(server)
    name = unique_name("st")
    server.create_s3_stream(name, bucket, prefix=prefix, size_mb=size_mb, interval_s=interval_s,
                            wait=wait, **extra)
    return name, bucket


def in_record_order(objects, expected):
    """Concatenates object bodies in the order their bytes occur in `expected`.

    Several objects written in the same second sort by random uuid, so key order is not record
    order; each object is a contiguous run of records, so its offset in `expected` orders it.
    """
    return b"".join(sorted(objects.values(), key=lambda body: expected.find(body)))


def key_pattern(prefix, stream, version=1):
    return re.compile(rf"^{re.escape(prefix)}(\d{{4}})/(\d{{2}})/(\d{{2}})/(\d{{2}})/{re.escape(stream)}-"
                      rf"{version}-(\d{{4}})-(\d{{2}})-(\d{{2}})-(\d{{2}})-(\d{{2}})-(\d{{2}})-{UUID_RE}$")


def s3_config(server, bucket, **extra):
    config = {
        "RoleARN": f"arn:aws:iam::{server.account_id}:role/firehose-role",
        "BucketARN": f"arn:aws:s3:::{bucket}",
    }
    config.update(extra)
    return config


@pytest.fixture(scope="module")
def server(hydrant_module):
    return hydrant_module


@pytest.fixture(scope="module")
def fh(server):
    return server.firehose()


# ---- CreateDeliveryStream / DescribeDeliveryStream -----------------------------------------


def test_create_returns_arn_with_region_and_account(server, fh):
    bucket = new_bucket(server)
    name = unique_name("st")
    response = fh.create_delivery_stream(
        DeliveryStreamName=name, ExtendedS3DestinationConfiguration=s3_config(server, bucket))
    assert response["DeliveryStreamARN"] == f"arn:aws:firehose:us-east-1:{DEFAULT_ACCOUNT}:deliverystream/{name}"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ResponseMetadata"]["RequestId"]


def test_full_description(server, fh):
    bucket = new_bucket(server)
    name = unique_name("st")
    before = time.time()
    fh.create_delivery_stream(
        DeliveryStreamName=name, DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration=s3_config(
            server, bucket, Prefix="p/", BufferingHints={"SizeInMBs": 2, "IntervalInSeconds": 60}))
    d = server.wait_active(name, timeout=10)
    assert d["DeliveryStreamName"] == name
    assert d["DeliveryStreamARN"] == server.arn(name)
    assert d["DeliveryStreamStatus"] == "ACTIVE"
    assert d["DeliveryStreamType"] == "DirectPut"
    assert d["VersionId"] == "1"
    assert isinstance(d["CreateTimestamp"], datetime.datetime)
    assert before - 5 <= d["CreateTimestamp"].timestamp() <= time.time() + 5
    assert "LastUpdateTimestamp" not in d, "absent until the first update"
    assert d["DeliveryStreamEncryptionConfiguration"] == {"Status": "DISABLED"}
    assert d["HasMoreDestinations"] is False
    assert len(d["Destinations"]) == 1
    destination = d["Destinations"][0]
    assert destination["DestinationId"] == "destinationId-000000000001"

    extended = destination["ExtendedS3DestinationDescription"]
    assert extended["RoleARN"] == f"arn:aws:iam::{server.account_id}:role/firehose-role"
    assert extended["BucketARN"] == f"arn:aws:s3:::{bucket}"
    assert extended["Prefix"] == "p/"
    assert extended["BufferingHints"] == {"SizeInMBs": 2, "IntervalInSeconds": 60}
    assert extended["CompressionFormat"] == "UNCOMPRESSED"
    assert extended["EncryptionConfiguration"] == {"NoEncryptionConfig": "NoEncryption"}
    assert extended["CloudWatchLoggingOptions"] == {"Enabled": False}
    assert extended["S3BackupMode"] == "Disabled"

    derived = destination["S3DestinationDescription"]
    for field in ("RoleARN", "BucketARN", "Prefix", "BufferingHints", "CompressionFormat",
                  "EncryptionConfiguration", "CloudWatchLoggingOptions"):
        assert derived[field] == extended[field], field


def test_describe_timestamps_are_json_numbers(server):
    name, _ = new_stream(server)
    response = server.raw(target="DescribeDeliveryStream", body={"DeliveryStreamName": name})
    assert response.status == 200, response
    assert response.headers["content-type"].startswith("application/x-amz-json-1.1")
    assert response.headers.get("x-amzn-requestid")
    description = response.json()["DeliveryStreamDescription"]
    created = description["CreateTimestamp"]
    assert isinstance(created, (int, float)) and not isinstance(created, bool), created
    assert abs(created - time.time()) < 600
    assert "null" not in response.body.decode(), "absent members are omitted, not null"


def test_defaults_when_hints_and_type_are_omitted(server, fh):
    bucket = new_bucket(server)
    name = unique_name("st")
    fh.create_delivery_stream(DeliveryStreamName=name,
                              ExtendedS3DestinationConfiguration=s3_config(server, bucket))
    d = server.wait_active(name)
    assert d["DeliveryStreamType"] == "DirectPut"
    extended = d["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert extended["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 300}
    assert extended["CompressionFormat"] == "UNCOMPRESSED"
    assert extended.get("Prefix", "") == ""


def test_zero_buffering_interval_is_accepted(server, fh):
    name, bucket = new_stream(server, interval_s=0)
    fh.put_record(DeliveryStreamName=name, Record={"Data": b"zero-interval"})
    objects = server.wait_objects(bucket, total_bytes=len(b"zero-interval"), timeout=10)
    assert list(objects.values()) == [b"zero-interval"]


def test_duplicate_create_is_resource_in_use(server, fh):
    name, bucket = new_stream(server, wait=False)
    expect_error(fh, "ResourceInUseException", fh.create_delivery_stream,
                 message=f"Firehose {name} under accountId {DEFAULT_ACCOUNT} already exists",
                 DeliveryStreamName=name, ExtendedS3DestinationConfiguration=s3_config(server, bucket))


def test_describe_unknown_is_resource_not_found(server, fh):
    expect_error(fh, "ResourceNotFoundException", fh.describe_delivery_stream,
                 message=f"Firehose nope-{DEFAULT_ACCOUNT} under account {DEFAULT_ACCOUNT} not found.",
                 DeliveryStreamName=f"nope-{DEFAULT_ACCOUNT}")


def test_streams_are_visible_whatever_region_the_client_signs_for(server):
    seoul, virginia = server.firehose(region="ap-northeast-2"), server.firehose(region="us-east-1")
    name, _ = new_stream(server)
    assert name in virginia.list_delivery_streams(Limit=10000)["DeliveryStreamNames"]
    d = virginia.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    assert d["DeliveryStreamARN"] == server.arn(name)
    assert seoul.put_record(DeliveryStreamName=name, Record={"Data": b"x"})["RecordId"]
    assert virginia.put_record(DeliveryStreamName=name, Record={"Data": b"y"})["RecordId"]


def test_server_region_and_account_flags_shape_the_arn(hydrant_factory):
    other = hydrant_factory(region="eu-west-1", account_id="210987654321")
    bucket = new_bucket(other)
    name = unique_name("st")
    fh = other.firehose()
    arn = fh.create_delivery_stream(
        DeliveryStreamName=name,
        ExtendedS3DestinationConfiguration=s3_config(other, bucket))["DeliveryStreamARN"]
    assert arn == f"arn:aws:firehose:eu-west-1:210987654321:deliverystream/{name}"
    expect_error(fh, "ResourceNotFoundException", fh.describe_delivery_stream,
                 message="Firehose missing under account 210987654321 not found.",
                 DeliveryStreamName="missing")


# ---- validation (the server's job: botocore checks only min lengths) ---------------------


@pytest.mark.parametrize("name, constraint", [
    ("bad name!", "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
    ("a" * 65, "Member must have length less than or equal to 64"),
])
def test_invalid_stream_name_is_validation_exception(server, fh, name, constraint):
    response = expect_error(fh, "ValidationException", fh.create_delivery_stream, DeliveryStreamName=name,
                            ExtendedS3DestinationConfiguration=s3_config(server, "any-bucket"))
    message = response["Error"]["Message"]
    assert constraint in message
    assert "deliveryStreamName" in message
    assert name not in fh.list_delivery_streams(Limit=10000)["DeliveryStreamNames"]


def test_name_of_64_chars_is_accepted(server, fh):
    name = ("n64-" + unique_name("x"))[:64].ljust(64, "z")
    fh.create_delivery_stream(DeliveryStreamName=name,
                              ExtendedS3DestinationConfiguration=s3_config(server, new_bucket(server)))
    assert server.wait_active(name)["DeliveryStreamName"] == name


@pytest.mark.parametrize("hints", [
    {"SizeInMBs": 129, "IntervalInSeconds": 60},
    {"SizeInMBs": 0, "IntervalInSeconds": 60},
    {"SizeInMBs": 5, "IntervalInSeconds": 901},
])
def test_out_of_range_buffering_hints_are_validation_exception(server, hints):
    fh = server.firehose(parameter_validation=False)  # botocore would catch SizeInMBs 0 itself
    name = unique_name("st")
    expect_error(fh, "ValidationException", fh.create_delivery_stream, DeliveryStreamName=name,
                 ExtendedS3DestinationConfiguration=s3_config(server, "any-bucket", BufferingHints=hints))
    expect_error(fh, "ResourceNotFoundException", fh.describe_delivery_stream, DeliveryStreamName=name)


def test_bad_compression_format_is_validation_exception(server, fh):
    response = expect_error(fh, "ValidationException", fh.create_delivery_stream,
                            DeliveryStreamName=unique_name("st"),
                            ExtendedS3DestinationConfiguration=s3_config(server, "any-bucket",
                                                                         CompressionFormat="BZIP2"))
    assert "compressionFormat" in response["Error"]["Message"] or "CompressionFormat" in response["Error"]["Message"]


def test_oversized_record_is_validation_exception(server, fh):
    name, _ = new_stream(server)
    expect_error(fh, "ValidationException", fh.put_record,
                 message=re.compile(r"Member must have length less than or equal to 1024000"),
                 DeliveryStreamName=name, Record={"Data": b"x" * (MAX_RECORD + 1)})
    response = expect_error(fh, "ValidationException", fh.put_record_batch,
                            message=re.compile(r"Member must have length less than or equal to 1024000"),
                            DeliveryStreamName=name,
                            Records=[{"Data": b"ok"}, {"Data": b"x" * (MAX_RECORD + 1)}])
    assert "records" in response["Error"]["Message"]


def test_501_records_is_validation_exception(server, fh):
    name, _ = new_stream(server)
    expect_error(fh, "ValidationException", fh.put_record_batch,
                 message=re.compile(r"less than or equal to 500"),
                 DeliveryStreamName=name, Records=[{"Data": b"r"}] * 501)


def test_batch_over_4_mib_is_invalid_argument(server, fh):
    name, _ = new_stream(server)
    expect_error(fh, "InvalidArgumentException", fh.put_record_batch,
                 DeliveryStreamName=name, Records=[{"Data": b"x" * 1_000_000}] * 5)


def test_limits_themselves_are_accepted(server, fh):
    name, bucket = new_stream(server, size_mb=128, interval_s=1)
    assert fh.put_record(DeliveryStreamName=name, Record={"Data": b"m" * MAX_RECORD})["RecordId"]
    assert fh.put_record(DeliveryStreamName=name, Record={"Data": b""})["RecordId"]
    full = fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b"r"}] * 500)
    assert full["FailedPutCount"] == 0 and len(full["RequestResponses"]) == 500
    # 4 x 1,024,000 = 4,096,000 bytes: under the 4 MiB (4,194,304) request cap.
    big = fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b"b" * MAX_RECORD}] * 4)
    assert big["FailedPutCount"] == 0
    total = MAX_RECORD + 0 + 500 + 4 * MAX_RECORD
    objects = server.wait_objects(bucket, total_bytes=total, timeout=30)
    assert sum(map(len, objects.values())) == total


# ---- ListDeliveryStreams --------------------------------------------------------------------


def test_list_is_alphabetical_and_paginates(hydrant):
    fh = hydrant.firehose()
    bucket = new_bucket(hydrant)
    names = [f"s-{c}" for c in "kcaejbdfghil"]  # created out of order, 12 streams
    for name in names:
        fh.create_delivery_stream(DeliveryStreamName=name,
                                  ExtendedS3DestinationConfiguration=s3_config(hydrant, bucket))
    ordered = sorted(names)

    everything = fh.list_delivery_streams(Limit=100)
    assert everything["DeliveryStreamNames"] == ordered
    assert everything["HasMoreDeliveryStreams"] is False

    default = fh.list_delivery_streams()
    assert default["DeliveryStreamNames"] == ordered[:10], "default Limit is 10"
    assert default["HasMoreDeliveryStreams"] is True

    page = fh.list_delivery_streams(Limit=2)
    assert page["DeliveryStreamNames"] == ordered[:2]
    assert page["HasMoreDeliveryStreams"] is True
    page = fh.list_delivery_streams(Limit=3, ExclusiveStartDeliveryStreamName=ordered[1])
    assert page["DeliveryStreamNames"] == ordered[2:5]
    assert page["HasMoreDeliveryStreams"] is True
    page = fh.list_delivery_streams(Limit=3, ExclusiveStartDeliveryStreamName=ordered[8])
    assert page["DeliveryStreamNames"] == ordered[9:12]
    assert page["HasMoreDeliveryStreams"] is False
    page = fh.list_delivery_streams(ExclusiveStartDeliveryStreamName=ordered[-1])
    assert page["DeliveryStreamNames"] == []
    assert page["HasMoreDeliveryStreams"] is False

    # Walking the pages by hand sees every stream exactly once.
    seen, start = [], None
    while True:
        kwargs = {"Limit": 5, **({"ExclusiveStartDeliveryStreamName": start} if start else {})}
        page = fh.list_delivery_streams(**kwargs)
        seen += page["DeliveryStreamNames"]
        if not page["HasMoreDeliveryStreams"]:
            break
        start = page["DeliveryStreamNames"][-1]
    assert seen == ordered

    assert fh.list_delivery_streams(Limit=100, DeliveryStreamType="DirectPut")["DeliveryStreamNames"] == ordered
    assert fh.list_delivery_streams(Limit=100,
                                    DeliveryStreamType="KinesisStreamAsSource")["DeliveryStreamNames"] == []
    expect_error(fh, "ValidationException", fh.list_delivery_streams, Limit=10001)


def test_list_on_empty_server(hydrant):
    response = hydrant.firehose().list_delivery_streams()
    assert response["DeliveryStreamNames"] == []
    assert response["HasMoreDeliveryStreams"] is False


# ---- DeleteDeliveryStream -------------------------------------------------------------------


def test_delete_then_not_found_and_name_reusable(server, fh):
    name, bucket = new_stream(server)
    response = fh.delete_delivery_stream(DeliveryStreamName=name)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200

    def gone():
        try:
            fh.describe_delivery_stream(DeliveryStreamName=name)
            return False
        except fh.exceptions.ResourceNotFoundException:
            return True

    wait_for(gone, timeout=15, message=f"{name} deleted")
    assert name not in fh.list_delivery_streams(Limit=10000)["DeliveryStreamNames"]
    expect_error(fh, "ResourceNotFoundException", fh.put_record, DeliveryStreamName=name,
                 Record={"Data": b"late"})
    expect_error(fh, "ResourceNotFoundException", fh.delete_delivery_stream,
                 message=f"Firehose {name} under account {DEFAULT_ACCOUNT} not found.",
                 DeliveryStreamName=name)
    server.create_s3_stream(name, bucket)  # the name is free again
    assert server.wait_active(name)["VersionId"] == "1"


def test_stream_is_creating_for_the_activation_delay_and_cannot_be_deleted_then(hydrant_factory):
    slow = hydrant_factory(activation_delay_ms=2500)
    fh = slow.firehose()
    started = time.monotonic()
    name, _ = new_stream(slow, wait=False)
    description = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    assert description["DeliveryStreamStatus"] == "CREATING"
    assert description["VersionId"] == "1"
    expect_error(fh, "ResourceInUseException", fh.delete_delivery_stream, DeliveryStreamName=name)
    slow.wait_active(name, timeout=15)
    assert time.monotonic() - started >= 2.0, "ACTIVE only after the activation delay"
    fh.delete_delivery_stream(DeliveryStreamName=name)


def test_default_activation_is_quick(server, fh):
    started = time.monotonic()
    name, _ = new_stream(server, wait=False)
    server.wait_active(name, timeout=10)
    assert time.monotonic() - started < 3, "default --stream-activation-delay-ms is 500"


# ---- UpdateDestination ----------------------------------------------------------------------


def test_update_destination_checks_version_and_merges(server, fh):
    name, bucket = new_stream(server, prefix="v1/", size_mb=1, interval_s=1)
    expect_error(fh, "ConcurrentModificationException", fh.update_destination,
                 DeliveryStreamName=name, CurrentDeliveryStreamVersionId="7",
                 DestinationId="destinationId-000000000001",
                 ExtendedS3DestinationUpdate={"Prefix": "never/"})
    d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    assert d["VersionId"] == "1"
    assert d["Destinations"][0]["ExtendedS3DestinationDescription"]["Prefix"] == "v1/"

    response = fh.update_destination(
        DeliveryStreamName=name, CurrentDeliveryStreamVersionId="1",
        DestinationId="destinationId-000000000001",
        ExtendedS3DestinationUpdate={"Prefix": "v2/",
                                     "BufferingHints": {"SizeInMBs": 2, "IntervalInSeconds": 1}})
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    assert d["VersionId"] == "2"
    assert isinstance(d["LastUpdateTimestamp"], datetime.datetime)
    assert d["LastUpdateTimestamp"] >= d["CreateTimestamp"]
    extended = d["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert extended["Prefix"] == "v2/"
    assert extended["BufferingHints"] == {"SizeInMBs": 2, "IntervalInSeconds": 1}
    assert extended["BucketARN"] == f"arn:aws:s3:::{bucket}", "unspecified fields keep their values"
    assert extended["CompressionFormat"] == "UNCOMPRESSED"
    assert d["Destinations"][0]["S3DestinationDescription"]["Prefix"] == "v2/"

    # The old version id is now stale.
    expect_error(fh, "ConcurrentModificationException", fh.update_destination,
                 DeliveryStreamName=name, CurrentDeliveryStreamVersionId="1",
                 DestinationId="destinationId-000000000001",
                 ExtendedS3DestinationUpdate={"Prefix": "stale/"})

    # New records land under the new prefix, in objects named with stream version 2.
    server.wait_active(name)
    fh.put_record(DeliveryStreamName=name, Record={"Data": b"after-update"})
    objects = server.wait_objects(bucket, prefix="v2/", total_bytes=len(b"after-update"), timeout=15)
    (key, body), = objects.items()
    assert body == b"after-update"
    assert key_pattern("v2/", name, version=2).match(key), key


def test_update_destination_unknown_stream(server, fh):
    expect_error(fh, "ResourceNotFoundException", fh.update_destination,
                 DeliveryStreamName=unique_name("missing"), CurrentDeliveryStreamVersionId="1",
                 DestinationId="destinationId-000000000001", ExtendedS3DestinationUpdate={"Prefix": "x/"})


# ---- Tags -----------------------------------------------------------------------------------


def test_tags_add_overwrite_list_untag(server, fh):
    bucket = new_bucket(server)
    name = unique_name("st")
    fh.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration=s3_config(server, bucket),
                              Tags=[{"Key": "team", "Value": "data"}, {"Key": "env", "Value": "dev"}])
    listed = fh.list_tags_for_delivery_stream(DeliveryStreamName=name)
    assert {t["Key"]: t.get("Value") for t in listed["Tags"]} == {"team": "data", "env": "dev"}
    assert listed["HasMoreTags"] is False

    fh.tag_delivery_stream(DeliveryStreamName=name, Tags=[{"Key": "env", "Value": "prod"},
                                                          {"Key": "cost", "Value": "42"}])
    tags = {t["Key"]: t.get("Value") for t in fh.list_tags_for_delivery_stream(DeliveryStreamName=name)["Tags"]}
    assert tags == {"team": "data", "env": "prod", "cost": "42"}

    fh.untag_delivery_stream(DeliveryStreamName=name, TagKeys=["team", "no-such-key"])
    tags = {t["Key"]: t.get("Value") for t in fh.list_tags_for_delivery_stream(DeliveryStreamName=name)["Tags"]}
    assert tags == {"env": "prod", "cost": "42"}

    first = fh.list_tags_for_delivery_stream(DeliveryStreamName=name, Limit=1)
    assert len(first["Tags"]) == 1 and first["HasMoreTags"] is True
    rest = fh.list_tags_for_delivery_stream(DeliveryStreamName=name, Limit=50,
                                            ExclusiveStartTagKey=first["Tags"][0]["Key"])
    assert len(rest["Tags"]) == 1 and rest["HasMoreTags"] is False
    assert {first["Tags"][0]["Key"], rest["Tags"][0]["Key"]} == {"env", "cost"}


def test_tag_limits(server, fh):
    name, _ = new_stream(server, wait=False)
    fh.tag_delivery_stream(DeliveryStreamName=name, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(30)])
    expect_error(fh, "LimitExceededException", fh.tag_delivery_stream, DeliveryStreamName=name,
                 Tags=[{"Key": f"n{i}", "Value": "v"} for i in range(21)])
    assert len(fh.list_tags_for_delivery_stream(DeliveryStreamName=name, Limit=50)["Tags"]) == 30
    # Overwriting existing keys does not count as new tags.
    fh.tag_delivery_stream(DeliveryStreamName=name, Tags=[{"Key": f"k{i}", "Value": "w"} for i in range(30)]
                           + [{"Key": f"n{i}", "Value": "v"} for i in range(20)])
    tags = fh.list_tags_for_delivery_stream(DeliveryStreamName=name, Limit=50)
    assert len(tags["Tags"]) == 50 and tags["HasMoreTags"] is False
    expect_error(fh, "ValidationException", fh.tag_delivery_stream, DeliveryStreamName=name,
                 Tags=[{"Key": f"x{i}", "Value": "v"} for i in range(51)])
    expect_error(fh, "ValidationException", fh.list_tags_for_delivery_stream, DeliveryStreamName=name, Limit=51)
    expect_error(fh, "ValidationException", fh.untag_delivery_stream, DeliveryStreamName=name,
                 TagKeys=[f"k{i}" for i in range(51)])
    expect_error(fh, "ResourceNotFoundException", fh.list_tags_for_delivery_stream,
                 DeliveryStreamName=unique_name("missing"))


def test_reserved_tag_prefix_is_rejected(server, fh):
    name, _ = new_stream(server, wait=False)
    expect_error(fh, "ValidationException", fh.tag_delivery_stream, DeliveryStreamName=name,
                 Tags=[{"Key": "aws:reserved", "Value": "v"}])


# ---- PutRecord / PutRecordBatch --------------------------------------------------------------


def test_put_record_response(server, fh):
    name, _ = new_stream(server)
    response = fh.put_record(DeliveryStreamName=name, Record={"Data": b"hello\n"})
    assert isinstance(response["RecordId"], str) and response["RecordId"]
    assert response["Encrypted"] is False
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ResponseMetadata"]["RequestId"]
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"].startswith("application/x-amz-json-1.1")
    second = fh.put_record(DeliveryStreamName=name, Record={"Data": b"hello\n"})
    assert second["RecordId"] != response["RecordId"]
    assert second["ResponseMetadata"]["RequestId"] != response["ResponseMetadata"]["RequestId"]


def test_put_record_batch_response(server, fh):
    name, _ = new_stream(server)
    response = fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": f"r{i}\n".encode()} for i in range(7)])
    assert response["FailedPutCount"] == 0
    assert response["Encrypted"] is False
    entries = response["RequestResponses"]
    assert len(entries) == 7
    ids = [entry["RecordId"] for entry in entries]
    assert all(isinstance(i, str) and i for i in ids) and len(set(ids)) == 7
    assert not any("ErrorCode" in entry for entry in entries)


def test_records_are_concatenated_byte_for_byte(server, fh):
    name, bucket = new_stream(server, prefix="cat/", interval_s=1)
    binary = bytes(range(256))
    fh.put_record_batch(DeliveryStreamName=name, Records=[
        {"Data": b"a"}, {"Data": b""}, {"Data": binary}, {"Data": "한글\n".encode()}, {"Data": b"z"}])
    expected = b"a" + binary + "한글\n".encode() + b"z"
    objects = server.wait_objects(bucket, prefix="cat/", total_bytes=len(expected), timeout=15)
    assert list(objects.values()) == [expected], "one object, records with no delimiter"
    (key,) = objects
    match = key_pattern("cat/", name).match(key)
    assert match, key
    folder, suffix = match.groups()[:4], match.groups()[4:8]
    assert folder == suffix, "date-hour folders and the name's timestamp agree"
    stamp = datetime.datetime(*map(int, match.groups()[4:10]), tzinfo=datetime.timezone.utc)
    assert abs((datetime.datetime.now(datetime.timezone.utc) - stamp).total_seconds()) < 120, "UTC"


def test_prefix_without_slash_is_glued_to_the_date(server, fh):
    name, bucket = new_stream(server, prefix="logs", interval_s=1)
    fh.put_record(DeliveryStreamName=name, Record={"Data": b"x"})
    objects = server.wait_objects(bucket, total_bytes=1, timeout=15)
    (key,) = objects
    assert re.match(r"^logs\d{4}/\d{2}/\d{2}/\d{2}/", key), key


def test_size_hint_flushes_before_the_interval(server, fh):
    name, bucket = new_stream(server, size_mb=1, interval_s=900)
    chunk = b"s" * 100_000
    for _ in range(4):  # 1.2 MB > 1 MiB
        fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": chunk}] * 3)
    # An object closes at a record boundary near 1 MiB: ten 100 kB records are due long before 900 s.
    objects = server.wait_objects(bucket, total_bytes=1_000_000, timeout=20)
    assert all(set(body) == {ord("s")} for body in objects.values())
    assert all(len(body) % 100_000 == 0 for body in objects.values()), "records are never split"


def test_interval_hint_flushes_small_data(server, fh):
    name, bucket = new_stream(server, size_mb=128, interval_s=1)
    start = time.monotonic()
    fh.put_record(DeliveryStreamName=name, Record={"Data": b"tiny"})
    server.wait_objects(bucket, total_bytes=4, timeout=15)
    assert time.monotonic() - start < 10


def test_put_to_unknown_stream(server, fh):
    missing = unique_name("missing")
    expect_error(fh, "ResourceNotFoundException", fh.put_record,
                 message=f"Firehose {missing} under account {DEFAULT_ACCOUNT} not found.",
                 DeliveryStreamName=missing, Record={"Data": b"x"})
    expect_error(fh, "ResourceNotFoundException", fh.put_record_batch, DeliveryStreamName=missing,
                 Records=[{"Data": b"x"}])


# ---- protocol-level errors, checked on the wire ---------------------------------------------


def assert_wire_error(response, code, status=400):
    assert response.status == status, response
    assert response.headers.get("x-amzn-errortype", "").split(":")[0] == code, response
    assert response.headers.get("x-amzn-requestid"), response
    body = response.json()  # always valid JSON: the JS SDK throws on anything else
    assert body["__type"] == code, response
    return body


def test_error_body_shape(server):
    missing = unique_name("missing")
    response = server.raw(target="DescribeDeliveryStream", body={"DeliveryStreamName": missing})
    body = assert_wire_error(response, "ResourceNotFoundException")
    assert body["message"] == f"Firehose {missing} under account {DEFAULT_ACCOUNT} not found."
    assert response.headers["content-type"].startswith("application/x-amz-json-1.1")


def test_malformed_json_is_serialization_exception(server):
    assert_wire_error(server.raw(target="PutRecord", body=b'{"DeliveryStreamName": '), "SerializationException")
    assert_wire_error(server.raw(target="ListDeliveryStreams", body=b"not json"), "SerializationException")


def test_bad_base64_is_serialization_exception(server):
    name, bucket = new_stream(server, interval_s=1)
    response = server.raw(target="PutRecord",
                          body={"DeliveryStreamName": name, "Record": {"Data": "!!!not base64!!!"}})
    assert_wire_error(response, "SerializationException")
    response = server.raw(target="PutRecordBatch", body={"DeliveryStreamName": name,
                                                         "Records": [{"Data": "aGk="}, {"Data": "@@@"}]})
    assert_wire_error(response, "SerializationException")
    # Nothing of a rejected request is stored: a good record after them is alone in the bucket.
    ok = server.raw(target="PutRecord", body={"DeliveryStreamName": name,
                                              "Record": {"Data": base64.b64encode(b"good").decode()}})
    assert ok.status == 200 and ok.json()["RecordId"]
    objects = server.wait_objects(bucket, total_bytes=4, timeout=15)
    time.sleep(1.5)
    assert list(server.read_objects(bucket).values()) == [b"good"] == list(objects.values())


def test_wrong_json_type_is_serialization_exception(server):
    assert_wire_error(server.raw(target="DescribeDeliveryStream", body={"DeliveryStreamName": 5}),
                      "SerializationException")


def test_unknown_operation(server):
    assert_wire_error(server.raw(target="Firehose_20150804.Nope", body={}), "UnknownOperationException")
    assert_wire_error(server.raw(method="POST", path="/", body={},
                                 headers={"Content-Type": "application/x-amz-json-1.1"}),
                      "UnknownOperationException")


def test_unsigned_request_is_refused(server):
    name, _ = new_stream(server, wait=False)
    response = server.raw(target="DescribeDeliveryStream", body={"DeliveryStreamName": name}, sign=False)
    assert_wire_error(response, "MissingAuthenticationTokenException", status=403)


def test_javascript_style_request_is_accepted(server):
    """JS v3 sends compact JSON, lower-case headers, x-amz-content-sha256 and signs 9 headers."""
    name, _ = new_stream(server)
    body = json.dumps({"DeliveryStreamName": name, "Records": [{"Data": "aGk="}]}, separators=(",", ":"))
    response = server.raw(target="PutRecordBatch", body=body, headers={
        "x-amz-content-sha256": hashlib.sha256(body.encode()).hexdigest(),
        "amz-sdk-invocation-id": "62d9eb94-dceb-4bac-a101-d97b3800fcf4",
        "amz-sdk-request": "attempt=1; max=3",
        "x-amz-user-agent": "aws-sdk-js/3.1168.0",
    })
    assert response.status == 200, response
    assert response.json()["FailedPutCount"] == 0


# ---- disk cap: PutRecordBatch partial failure -----------------------------------------------


def test_partial_failure_when_buffer_cap_is_reached(hydrant_factory):
    server = hydrant_factory(max_buffered_bytes=200_000)
    fh = server.firehose(max_attempts=1)
    bucket = unique_name("late-bucket")  # not created yet: nothing can be delivered
    name = unique_name("st")
    server.create_s3_stream(name, bucket, size_mb=1, interval_s=1)

    acknowledged, rejected = set(), set()
    saw_failure = False
    for batch in range(40):
        ids = [f"{batch:03d}-{i:03d}" for i in range(50)]
        records = [{"Data": (rid + ":").encode().ljust(999, b".") + b"\n"} for rid in ids]
        response = fh.put_record_batch(DeliveryStreamName=name, Records=records)
        entries = response["RequestResponses"]
        assert len(entries) == 50
        failed = [e for e in entries if "ErrorCode" in e]
        assert response["FailedPutCount"] == len(failed)
        for rid, entry in zip(ids, entries):
            if "ErrorCode" in entry:
                assert entry == {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "Slow down."}
                rejected.add(rid)
            else:
                assert entry.get("RecordId"), entry
                acknowledged.add(rid)
        if failed:
            saw_failure = True
            break
    assert saw_failure, "200 kB cap never reached after 2 MB of records"
    assert acknowledged, "records below the cap are accepted"
    assert sum(1000 for _ in acknowledged) <= 400_000, "the cap is roughly honoured"

    # A PutRecord that does not fit fails as a whole (no automatic retry on this client). Less
    # than one 1000-byte record was left, so 50 kB cannot fit. The spec leaves 500 or 503 open;
    # both make SDKs back off and retry.
    response = expect_error(fh, "ServiceUnavailableException", fh.put_record, status=(500, 503),
                            DeliveryStreamName=name, Record={"Data": b"rejected" * 6250})
    assert response["Error"]["Message"] == "Slow down."

    # Once the bucket exists, everything acknowledged is delivered, exactly once; rejects never.
    server.s3().create_bucket(Bucket=bucket)
    objects = server.wait_objects(bucket, total_bytes=1000 * len(acknowledged), timeout=90)
    delivered = [line.split(b":")[0].decode() for body in objects.values() for line in body.splitlines()]
    assert sorted(delivered) == sorted(acknowledged)
    assert b"rejected" not in b"".join(objects.values())

    # Space is released after delivery: puts succeed again.
    def accepted_again():
        return fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b"again\n"}])["FailedPutCount"] == 0

    wait_for(accepted_again, timeout=30, interval=0.5, message="puts accepted after delivery")


# ---- aws CLI (v1 on PATH) -------------------------------------------------------------------


def cli_major_version():
    out = subprocess.run(["aws", "--version"], capture_output=True, text=True, check=True)
    return int(re.search(r"aws-cli/(\d+)", out.stdout + out.stderr).group(1))


def test_cli_list_describe_put(server):
    name, bucket = new_stream(server, prefix="cli/", interval_s=1)
    listed = json.loads(server.aws("firehose", "list-delivery-streams", "--limit", "10000", check=True).stdout)
    assert name in listed["DeliveryStreamNames"]
    described = json.loads(server.aws("firehose", "describe-delivery-stream", "--delivery-stream-name", name,
                                      check=True).stdout)["DeliveryStreamDescription"]
    assert described["DeliveryStreamStatus"] == "ACTIVE"
    assert described["DeliveryStreamARN"] == server.arn(name)

    # Blob arguments: CLI v1 sends the text as raw bytes and has no --cli-binary-format;
    # CLI v2 needs --cli-binary-format raw-in-base64-out for the same result.
    v2 = cli_major_version() >= 2
    blob_flags = ["--cli-binary-format", "raw-in-base64-out"] if v2 else []
    put = server.aws("firehose", "put-record", "--delivery-stream-name", name,
                     "--record", '{"Data":"{\\"user\\":\\"cli\\"}\\n"}', *blob_flags, check=True)
    assert json.loads(put.stdout)["RecordId"]
    batch = server.aws("firehose", "put-record-batch", "--delivery-stream-name", name,
                       "--records", '[{"Data":"b1\\n"},{"Data":"b2\\n"}]', *blob_flags, check=True)
    assert json.loads(batch.stdout)["FailedPutCount"] == 0
    expected = b'{"user":"cli"}\nb1\nb2\n'
    objects = server.wait_objects(bucket, prefix="cli/", total_bytes=len(expected), timeout=15)
    assert in_record_order(objects, expected) == expected

    if not v2:
        unknown = server.aws("firehose", "put-record", "--delivery-stream-name", name,
                             "--record", "Data=x", "--cli-binary-format", "raw-in-base64-out")
        assert unknown.returncode == 255 and "Unknown options" in unknown.stderr


def test_cli_reports_service_errors(server):
    missing = unique_name("missing")
    result = server.aws("firehose", "describe-delivery-stream", "--delivery-stream-name", missing)
    assert result.returncode != 0
    assert "ResourceNotFoundException" in result.stderr
    assert f"Firehose {missing} under account {DEFAULT_ACCOUNT} not found." in result.stderr


# ---- durability: restart and SIGTERM drain --------------------------------------------------


def test_streams_persist_across_restart(hydrant):
    fh = hydrant.firehose()
    bucket = new_bucket(hydrant)
    hydrant.create_s3_stream("keep-a", bucket, prefix="a/", wait=True,
                             CompressionFormat="UNCOMPRESSED")
    fh.create_delivery_stream(DeliveryStreamName="keep-b", ExtendedS3DestinationConfiguration=s3_config(
        hydrant, bucket, Prefix="b/", BufferingHints={"SizeInMBs": 3, "IntervalInSeconds": 1}),
        Tags=[{"Key": "owner", "Value": "e2e"}])
    hydrant.wait_active("keep-b")
    fh.update_destination(DeliveryStreamName="keep-b", CurrentDeliveryStreamVersionId="1",
                          DestinationId="destinationId-000000000001",
                          ExtendedS3DestinationUpdate={"Prefix": "b2/"})
    hydrant.create_s3_stream("gone-c", bucket)
    fh.delete_delivery_stream(DeliveryStreamName="gone-c")
    wait_for(lambda: "gone-c" not in fh.list_delivery_streams()["DeliveryStreamNames"], message="gone-c deleted")
    before = {n: fh.describe_delivery_stream(DeliveryStreamName=n)["DeliveryStreamDescription"]
              for n in ("keep-a", "keep-b")}

    hydrant.restart()
    fh = hydrant.firehose()
    assert fh.list_delivery_streams()["DeliveryStreamNames"] == ["keep-a", "keep-b"]
    for name, old in before.items():
        new = hydrant.wait_active(name, timeout=5)
        for field in ("DeliveryStreamARN", "VersionId", "DeliveryStreamType", "Destinations",
                      "DeliveryStreamEncryptionConfiguration"):
            assert new.get(field) == old.get(field), (name, field)
        for field in ("CreateTimestamp", "LastUpdateTimestamp"):
            assert (field in new) == (field in old), (name, field)
            if field in old:
                assert abs((new[field] - old[field]).total_seconds()) < 0.002, (name, field)
    assert fh.list_tags_for_delivery_stream(DeliveryStreamName="keep-b")["Tags"] == [
        {"Key": "owner", "Value": "e2e"}]
    fh.put_record(DeliveryStreamName="keep-b", Record={"Data": b"after restart"})
    objects = hydrant.wait_objects(bucket, prefix="b2/", total_bytes=len(b"after restart"), timeout=15)
    assert list(objects.values()) == [b"after restart"]
    assert key_pattern("b2/", "keep-b", version=2).match(next(iter(objects)))


def test_sigterm_drains_buffered_records(hydrant):
    fh = hydrant.firehose()
    bucket = new_bucket(hydrant)
    hydrant.create_s3_stream("drain", bucket, prefix="d/", size_mb=128, interval_s=900)
    records = [f"drain-{i:04d}\n".encode() for i in range(300)]
    for start in range(0, 300, 100):
        assert fh.put_record_batch(DeliveryStreamName="drain",
                                   Records=[{"Data": r} for r in records[start:start + 100]])["FailedPutCount"] == 0
    assert fh.put_record(DeliveryStreamName="drain", Record={"Data": b"last\n"})["RecordId"]
    time.sleep(0.5)
    assert hydrant.read_objects(bucket) == {}, "900 s interval: nothing delivered yet"

    started = time.monotonic()
    assert hydrant.stop(signal.SIGTERM) == 0
    assert time.monotonic() - started < 30, "drain is prompt"

    # The objects were written during the drain: they are there the moment the server is back,
    # well before the 900 s interval that a replay would have to wait for, and exactly once.
    hydrant.restart()
    expected = b"".join(records) + b"last\n"
    objects = hydrant.read_objects(bucket)
    assert in_record_order(objects, expected) == expected
    time.sleep(2)
    assert sum(map(len, hydrant.read_objects(bucket).values())) == len(expected), "no re-delivery after restart"
