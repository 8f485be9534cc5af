"""CustomTimeZone: date folders, timestamp expressions and object names in the configured zone."""
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import botocore.exceptions
import pytest

ROLE = "arn:aws:iam::123456789012:role/FirehoseDeliveryRole"
TOKYO = ZoneInfo("Asia/Tokyo")
# <stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>
NAME = re.compile(r"s-1-(\d{4})-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-[0-9a-f-]{36}$")


def put_and_read_one(hydrant, **destination):
    """Creates stream "s" into bucket "bkt", puts one record, returns (key, arrival window)."""
    hydrant.s3().create_bucket(Bucket="bkt")
    fh = hydrant.firehose()
    fh.create_delivery_stream(DeliveryStreamName="s", ExtendedS3DestinationConfiguration={
        "RoleARN": ROLE, "BucketARN": "arn:aws:s3:::bkt",
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1}, **destination})
    hydrant.wait_active("s")
    before = datetime.now(timezone.utc).replace(microsecond=0)  # names have whole seconds
    fh.put_record(DeliveryStreamName="s", Record={"Data": b"hello\n"})
    after = datetime.now(timezone.utc)
    (key, body), = hydrant.wait_objects("bkt", count=1, timeout=20).items()
    assert body == b"hello\n"
    return key, before, after


def name_time(key, zone):
    """The object name's date-time read as a wall-clock time in `zone`."""
    match = NAME.search(key)
    assert match, key
    return datetime(*map(int, match.groups()), tzinfo=zone)


def test_default_folders_and_name_are_in_tokyo_time(hydrant):
    key, before, after = put_and_read_one(hydrant, Prefix="out/", CustomTimeZone="Asia/Tokyo")
    named = name_time(key, TOKYO)
    # Read as Tokyo time the name falls in the arrival window; read as UTC it would be 9 h off.
    assert before <= named <= after, (key, before, after)
    assert key.startswith("out/" + named.strftime("%Y/%m/%d/%H/") + "s-1-" +
                          named.strftime("%Y-%m-%d-%H-%M-%S-")), key
    description = hydrant.firehose().describe_delivery_stream(DeliveryStreamName="s")
    destination = description["DeliveryStreamDescription"]["Destinations"][0]
    assert destination["ExtendedS3DestinationDescription"]["CustomTimeZone"] == "Asia/Tokyo"


def test_timestamp_expressions_are_in_the_zone(hydrant):
    key, before, after = put_and_read_one(
        hydrant, Prefix="y=!{timestamp:yyyy}/d=!{timestamp:dd}/h=!{timestamp:HH}/",
        ErrorOutputPrefix="err/!{firehose:error-output-type}/", CustomTimeZone="Asia/Tokyo")
    named = name_time(key, TOKYO)
    assert before <= named <= after, (key, before, after)
    assert key.startswith(named.strftime("y=%Y/d=%d/h=%H/s-1-")), key


def test_unknown_zone_is_rejected_at_create_and_update(hydrant):
    fh = hydrant.firehose()
    config = {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::bkt"}
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        fh.create_delivery_stream(DeliveryStreamName="bad", ExtendedS3DestinationConfiguration={
            **config, "CustomTimeZone": "Asia/Tokio"})
    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidArgumentException"
    assert "Asia/Tokio" in error["Message"]

    fh.create_delivery_stream(DeliveryStreamName="good", ExtendedS3DestinationConfiguration=config)
    hydrant.wait_active("good")
    destination = fh.describe_delivery_stream(DeliveryStreamName="good")["DeliveryStreamDescription"]
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        fh.update_destination(DeliveryStreamName="good", CurrentDeliveryStreamVersionId="1",
                              DestinationId=destination["Destinations"][0]["DestinationId"],
                              ExtendedS3DestinationUpdate={"CustomTimeZone": "Nowhere/City"})
    assert raised.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert "Nowhere/City" in raised.value.response["Error"]["Message"]
    fh.update_destination(DeliveryStreamName="good", CurrentDeliveryStreamVersionId="1",
                          DestinationId=destination["Destinations"][0]["DestinationId"],
                          ExtendedS3DestinationUpdate={"CustomTimeZone": "America/New_York"})
    updated = fh.describe_delivery_stream(DeliveryStreamName="good")["DeliveryStreamDescription"]
    assert updated["VersionId"] == "2"
    assert updated["Destinations"][0]["ExtendedS3DestinationDescription"]["CustomTimeZone"] == \
        "America/New_York"
