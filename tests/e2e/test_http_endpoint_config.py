"""HttpEndpointDestinationConfiguration through the API: create, describe, update, persistence.

Configuration only: what CreateDeliveryStream accepts and refuses, what DescribeDeliveryStream shows
(the service's defaults, never the AccessKey) and how UpdateDestination merges. Expectations come
from the service model (shapes HttpEndpoint*) and /work/shared/reference/firehose-spec.md §3.4;
http:// URLs are Hydrant's documented addition to the model's https:// pattern.
"""
import json

import pytest

from conftest import unique_name
from test_firehose_api import expect_error

DESTINATION_ID = "destinationId-000000000001"
ACCESS_KEY = "receiver-access-key-0123456789"


def s3_configuration(server, bucket="http-failed", **extra):
    config = {
        "RoleARN": f"arn:aws:iam::{server.account_id}:role/firehose-s3",
        "BucketARN": f"arn:aws:s3:::{bucket}",
    }
    config.update(extra)
    return config


def every_member(server):
    """An HttpEndpointDestinationConfiguration with every member of the model."""
    return {
        "EndpointConfiguration": {"Url": "https://receiver.example.com/firehose?tenant=7", "Name": "receiver",
                                  "AccessKey": ACCESS_KEY},
        "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60},
        "CloudWatchLoggingOptions": {"Enabled": True, "LogGroupName": "/aws/kinesisfirehose/http",
                                     "LogStreamName": "DestinationDelivery"},
        "RequestConfiguration": {"ContentEncoding": "GZIP", "CommonAttributes": [
            {"AttributeName": "env", "AttributeValue": "prod"},
            {"AttributeName": "team", "AttributeValue": "etl"}]},
        "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "AppendDelimiterToRecord"}]},
        "RoleARN": f"arn:aws:iam::{server.account_id}:role/firehose-http",
        "RetryOptions": {"DurationInSeconds": 3600},
        "S3BackupMode": "AllData",
        "S3Configuration": s3_configuration(
            server, Prefix="http/", ErrorOutputPrefix="http-errors/",
            BufferingHints={"SizeInMBs": 10, "IntervalInSeconds": 120}, CompressionFormat="GZIP",
            EncryptionConfiguration={"NoEncryptionConfig": "NoEncryption"},
            CloudWatchLoggingOptions={"Enabled": False}),
        "SecretsManagerConfiguration": {"Enabled": False},
    }


def create_http_stream(server, fh, destination):
    name = unique_name("http")
    fh.create_delivery_stream(DeliveryStreamName=name, DeliveryStreamType="DirectPut",
                              HttpEndpointDestinationConfiguration=destination)
    return name


def described_destination(server, name):
    description = server.wait_active(name)
    assert len(description["Destinations"]) == 1
    destination = description["Destinations"][0]
    assert destination["DestinationId"] == DESTINATION_ID
    assert list(destination) == ["DestinationId", "HttpEndpointDestinationDescription"], destination
    return destination["HttpEndpointDestinationDescription"]


def raw_describe(server, name):
    response = server.raw(target="DescribeDeliveryStream", body={"DeliveryStreamName": name})
    assert response.status == 200, response
    return response


def update(fh, name, version, **update_members):
    return fh.update_destination(DeliveryStreamName=name, CurrentDeliveryStreamVersionId=version,
                                 DestinationId=DESTINATION_ID, HttpEndpointDestinationUpdate=update_members)


@pytest.fixture(scope="module")
def server(hydrant_module):
    return hydrant_module


@pytest.fixture(scope="module")
def fh(server):
    return server.firehose()


# ---- CreateDeliveryStream / DescribeDeliveryStream ---------------------------------------------


def test_every_member_is_described_without_the_access_key(server, fh):
    name = create_http_stream(server, fh, every_member(server))
    described = described_destination(server, name)
    role = f"arn:aws:iam::{server.account_id}:role/firehose-http"
    assert described == {
        "EndpointConfiguration": {"Url": "https://receiver.example.com/firehose?tenant=7", "Name": "receiver"},
        "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60},
        "CloudWatchLoggingOptions": {"Enabled": True, "LogGroupName": "/aws/kinesisfirehose/http",
                                     "LogStreamName": "DestinationDelivery"},
        "RequestConfiguration": {"ContentEncoding": "GZIP", "CommonAttributes": [
            {"AttributeName": "env", "AttributeValue": "prod"},
            {"AttributeName": "team", "AttributeValue": "etl"}]},
        "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "AppendDelimiterToRecord"}]},
        "RoleARN": role,
        "RetryOptions": {"DurationInSeconds": 3600},
        "S3BackupMode": "AllData",
        "S3DestinationDescription": {
            "RoleARN": f"arn:aws:iam::{server.account_id}:role/firehose-s3",
            "BucketARN": "arn:aws:s3:::http-failed",
            "Prefix": "http/", "ErrorOutputPrefix": "http-errors/",
            "BufferingHints": {"SizeInMBs": 10, "IntervalInSeconds": 120},
            "CompressionFormat": "GZIP",
            "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
            "CloudWatchLoggingOptions": {"Enabled": False}},
        "SecretsManagerConfiguration": {"Enabled": False},
    }
    # The members come in the model's order, and the key is nowhere in the response.
    raw = raw_describe(server, name)
    wire = raw.json()["DeliveryStreamDescription"]["Destinations"][0]["HttpEndpointDestinationDescription"]
    assert list(wire) == ["EndpointConfiguration", "BufferingHints", "CloudWatchLoggingOptions",
                          "RequestConfiguration", "ProcessingConfiguration", "RoleARN", "RetryOptions",
                          "S3BackupMode", "S3DestinationDescription", "SecretsManagerConfiguration"]
    assert ACCESS_KEY.encode() not in raw.body
    assert b"AccessKey" not in raw.body


def test_minimal_destination_is_described_with_the_defaults(server, fh):
    name = create_http_stream(server, fh, {
        "EndpointConfiguration": {"Url": "https://receiver.example.com/"},
        "S3Configuration": s3_configuration(server)})
    assert described_destination(server, name) == {
        "EndpointConfiguration": {"Url": "https://receiver.example.com/"},
        "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300},
        "CloudWatchLoggingOptions": {"Enabled": False},
        "RequestConfiguration": {"ContentEncoding": "NONE"},
        "RetryOptions": {"DurationInSeconds": 300},
        "S3BackupMode": "FailedDataOnly",
        "S3DestinationDescription": {
            "RoleARN": f"arn:aws:iam::{server.account_id}:role/firehose-s3",
            "BucketARN": "arn:aws:s3:::http-failed",
            "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300},
            "CompressionFormat": "UNCOMPRESSED",
            "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
            "CloudWatchLoggingOptions": {"Enabled": False}},
    }


def test_plain_http_url_is_accepted(server, fh):
    name = create_http_stream(server, fh, {
        "EndpointConfiguration": {"Url": "http://127.0.0.1:8080/ingest"},
        "S3Configuration": s3_configuration(server)})
    assert described_destination(server, name)["EndpointConfiguration"] == {"Url": "http://127.0.0.1:8080/ingest"}


@pytest.mark.parametrize("url", ["ftp://receiver.example.com/", "receiver.example.com/ingest"])
def test_url_neither_https_nor_http_is_validation_exception(server, fh, url):
    name = unique_name("http")
    expect_error(fh, "ValidationException", fh.create_delivery_stream, DeliveryStreamName=name,
                 HttpEndpointDestinationConfiguration={"EndpointConfiguration": {"Url": url},
                                                       "S3Configuration": s3_configuration(server)},
                 message="1 validation error detected: Value at "
                         "'httpEndpointDestinationConfiguration.endpointConfiguration.url' failed to "
                         "satisfy constraint: Member must satisfy regular expression pattern: https?://.*")
    expect_error(fh, "ResourceNotFoundException", fh.describe_delivery_stream, DeliveryStreamName=name)


def test_buffer_of_65_mib_is_validation_exception(server, fh):
    name = unique_name("http")
    destination = every_member(server)
    destination["BufferingHints"] = {"SizeInMBs": 65, "IntervalInSeconds": 60}
    expect_error(fh, "ValidationException", fh.create_delivery_stream, DeliveryStreamName=name,
                 HttpEndpointDestinationConfiguration=destination,
                 message="1 validation error detected: Value at "
                         "'httpEndpointDestinationConfiguration.bufferingHints.sizeInMBs' failed to "
                         "satisfy constraint: Member must have value less than or equal to 64")
    expect_error(fh, "ResourceNotFoundException", fh.describe_delivery_stream, DeliveryStreamName=name)


def test_buffering_hints_name_both_members(server, fh):
    destination = every_member(server)
    destination["BufferingHints"] = {"SizeInMBs": 10}
    expect_error(fh, "InvalidArgumentException", fh.create_delivery_stream,
                 DeliveryStreamName=unique_name("http"), HttpEndpointDestinationConfiguration=destination,
                 message="BufferingHints: if you specify a value for one of SizeInMBs and IntervalInSeconds, "
                         "you must also provide a value for the other")


def test_enabled_secrets_manager_is_refused(server, fh):
    destination = every_member(server)
    del destination["EndpointConfiguration"]["AccessKey"]
    destination["SecretsManagerConfiguration"] = {
        "Enabled": True, "SecretARN": f"arn:aws:secretsmanager:us-east-1:{server.account_id}:secret:key"}
    expect_error(fh, "InvalidArgumentException", fh.create_delivery_stream,
                 DeliveryStreamName=unique_name("http"), HttpEndpointDestinationConfiguration=destination,
                 message="Secrets Manager authentication (SecretsManagerConfiguration with Enabled true) "
                         "is not supported by this version of Hydrant yet")


# ---- UpdateDestination ------------------------------------------------------------------------------


def test_update_url_and_access_key(server, fh):
    name = create_http_stream(server, fh, every_member(server))
    before = described_destination(server, name)
    new_key = "rotated-access-key-abcdef"
    update(fh, name, "1", EndpointConfiguration={"Url": "http://10.0.0.7:9000/in", "AccessKey": new_key})
    description = server.wait_active(name)
    assert description["VersionId"] == "2"
    after = description["Destinations"][0]["HttpEndpointDestinationDescription"]
    # Merged member by member: the Name stays, everything else is unchanged.
    assert after["EndpointConfiguration"] == {"Url": "http://10.0.0.7:9000/in", "Name": "receiver"}
    assert {k: v for k, v in after.items() if k != "EndpointConfiguration"} == \
        {k: v for k, v in before.items() if k != "EndpointConfiguration"}
    raw = raw_describe(server, name)
    assert new_key.encode() not in raw.body and ACCESS_KEY.encode() not in raw.body

    # S3Update merges into S3Configuration; lists are replaced whole.
    update(fh, name, "2", S3Update={"Prefix": "moved/"},
           RequestConfiguration={"CommonAttributes": [{"AttributeName": "only", "AttributeValue": "one"}]})
    after = described_destination(server, name)
    assert after["S3DestinationDescription"]["Prefix"] == "moved/"
    assert after["S3DestinationDescription"]["ErrorOutputPrefix"] == "http-errors/"
    assert after["RequestConfiguration"] == {
        "ContentEncoding": "GZIP", "CommonAttributes": [{"AttributeName": "only", "AttributeValue": "one"}]}


def test_update_rules(server, fh):
    name = create_http_stream(server, fh, every_member(server))
    server.wait_active(name)
    expect_error(fh, "ValidationException", update, fh=fh, name=name, version="1",
                 BufferingHints={"SizeInMBs": 65},
                 message="1 validation error detected: Value at "
                         "'httpEndpointDestinationUpdate.bufferingHints.sizeInMBs' failed to satisfy "
                         "constraint: Member must have value less than or equal to 64")
    expect_error(fh, "ValidationException", update, fh=fh, name=name, version="1",
                 EndpointConfiguration={"Url": "ftp://receiver.example.com/"},
                 message="1 validation error detected: Value at "
                         "'httpEndpointDestinationUpdate.endpointConfiguration.url' failed to satisfy "
                         "constraint: Member must satisfy regular expression pattern: https?://.*")
    expect_error(fh, "InvalidArgumentException", update, fh=fh, name=name, version="1",
                 S3BackupMode="FailedDataOnly",
                 message="S3BackupMode cannot be changed from AllData to FailedDataOnly")
    expect_error(fh, "InvalidArgumentException", fh.update_destination, DeliveryStreamName=name,
                 CurrentDeliveryStreamVersionId="1", DestinationId=DESTINATION_ID,
                 ExtendedS3DestinationUpdate={"Prefix": "x/"},
                 message="Changing the destination type with UpdateDestination (ExtendedS3DestinationUpdate "
                         "on a stream whose destination is HttpEndpointDestinationConfiguration) is not "
                         "supported by this version of Hydrant yet")
    # Nothing was changed by the refused updates.
    assert server.wait_active(name)["VersionId"] == "1"


def test_http_endpoint_update_on_an_s3_stream_is_refused(server, fh):
    bucket = unique_name("bkt")
    server.s3().create_bucket(Bucket=bucket)
    name = unique_name("st")
    server.create_s3_stream(name, bucket)
    expect_error(fh, "InvalidArgumentException", update, fh=fh, name=name, version="1",
                 EndpointConfiguration={"Url": "https://receiver.example.com/"},
                 message="Changing the destination type with UpdateDestination (HttpEndpointDestinationUpdate "
                         "on a stream whose destination is ExtendedS3DestinationConfiguration) is not "
                         "supported by this version of Hydrant yet")


# ---- persistence and the aws CLI --------------------------------------------------------------------


def test_http_endpoint_stream_survives_restart(hydrant):
    fh = hydrant.firehose()
    name = create_http_stream(hydrant, fh, every_member(hydrant))
    update(fh, name, "1", EndpointConfiguration={"Url": "http://127.0.0.1:9/in", "AccessKey": "after-update"},
           RetryOptions={"DurationInSeconds": 0})
    before = hydrant.wait_active(name)
    # The persisted form keeps the AccessKey (delivery needs it), as configured.
    stored = json.loads((hydrant.data_dir / "streams" / f"ds-{name}" / "stream.json").read_text())
    endpoint = stored["config"]["HttpEndpointDestinationConfiguration"]["EndpointConfiguration"]
    assert endpoint == {"Url": "http://127.0.0.1:9/in", "Name": "receiver", "AccessKey": "after-update"}
    hydrant.restart()
    after = hydrant.wait_active(name, client=hydrant.firehose())
    assert after["VersionId"] == "2"
    assert after["Destinations"] == before["Destinations"]
    http = after["Destinations"][0]["HttpEndpointDestinationDescription"]
    assert http["EndpointConfiguration"] == {"Url": "http://127.0.0.1:9/in", "Name": "receiver"}
    assert http["RetryOptions"] == {"DurationInSeconds": 0}


def test_cli_create_and_describe(server):
    name = unique_name("cli-http")
    destination = {
        "EndpointConfiguration": {"Url": "https://receiver.example.com/cli", "AccessKey": ACCESS_KEY},
        "RequestConfiguration": {"ContentEncoding": "GZIP"},
        "S3Configuration": s3_configuration(server),
    }
    created = server.aws("firehose", "create-delivery-stream", "--delivery-stream-name", name,
                         "--http-endpoint-destination-configuration", json.dumps(destination), check=True)
    assert json.loads(created.stdout)["DeliveryStreamARN"] == server.arn(name)
    server.wait_active(name)
    described = server.aws("firehose", "describe-delivery-stream", "--delivery-stream-name", name, check=True)
    assert ACCESS_KEY not in described.stdout
    destination = json.loads(described.stdout)["DeliveryStreamDescription"]["Destinations"][0]
    http = destination["HttpEndpointDestinationDescription"]
    assert http["EndpointConfiguration"] == {"Url": "https://receiver.example.com/cli"}
    assert http["RequestConfiguration"] == {"ContentEncoding": "GZIP"}
    assert http["S3BackupMode"] == "FailedDataOnly"
