"""HTTP endpoint destination: what the endpoint receives, and what happens when it refuses.

The endpoint is tests/e2e/firehose_receiver.py, written from the service's "HTTP endpoint
delivery request and response specifications": no third-party receiver can be installed here
(the real ones ship outside Debian and npm). It checks every header and the body strictly and
records each violation; every test asserts there were none.
"""
import base64
import gzip
import json
import re
import time
import urllib.request

import pytest

from conftest import unique_name
from firehose_receiver import FirehoseReceiver
from harness import seed_dir, wait_for

ROLE = "arn:aws:iam::123456789012:role/FirehoseDeliveryRole"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
FAILED_KEY = re.compile(r"^http-endpoint-failed/\d{4}/\d{2}/\d{2}/\d{2}/")


@pytest.fixture
def receiver():
    with FirehoseReceiver() as rx:
        yield rx


def http_destination(url, bucket, *, access_key=None, attributes=None, gzip_body=False,
                     retry_seconds=60, all_data=False, interval_s=1, processing=None):
    endpoint = {"Url": url, "Name": "test receiver"}
    if access_key is not None:
        endpoint["AccessKey"] = access_key
    request = {"ContentEncoding": "GZIP" if gzip_body else "NONE"}
    if attributes:
        request["CommonAttributes"] = [{"AttributeName": k, "AttributeValue": v} for k, v in attributes.items()]
    config = {
        "EndpointConfiguration": endpoint,
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": interval_s},
        "RequestConfiguration": request,
        "RetryOptions": {"DurationInSeconds": retry_seconds},
        "S3BackupMode": "AllData" if all_data else "FailedDataOnly",
        "RoleARN": ROLE,
        "S3Configuration": {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
                            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}},
    }
    if processing:
        config["ProcessingConfiguration"] = processing
    return config


def create_stream(server, name, config, bucket):
    server.s3().create_bucket(Bucket=bucket)
    server.firehose().create_delivery_stream(DeliveryStreamName=name,
                                             HttpEndpointDestinationConfiguration=config)
    server.wait_active(name)


def put(server, name, records):
    result = server.firehose().put_record_batch(DeliveryStreamName=name,
                                                Records=[{"Data": r} for r in records])
    assert result["FailedPutCount"] == 0


def failed_documents(server, bucket):
    docs = []
    for key, body in sorted(server.read_objects(bucket, "http-endpoint-failed/").items()):
        assert FAILED_KEY.match(key), key
        docs += [json.loads(line) for line in body.decode().splitlines()]
    return docs


def test_every_header_and_the_body_as_the_spec_says(hydrant, receiver):
    name, bucket = unique_name("http"), unique_name("b")
    attributes = {"env": "test", "team": "data \"platform\""}
    receiver.access_key = "key-1234"
    receiver.common_attributes = attributes
    receiver.source_arn = hydrant.arn(name)
    create_stream(hydrant, name, http_destination(receiver.url, bucket, access_key="key-1234",
                                                  attributes=attributes), bucket)
    records = [b'{"n": %d}\n' % i for i in range(50)] + [b"", b"\x00\xff binary"]
    put(hydrant, name, records)
    assert receiver.wait_for_records(len(records)) == records
    assert receiver.violations == []
    request = [r for r in receiver.requests if r["outcome"] == "ok"][0]
    headers = request["headers"]
    assert headers["content-type"] == "application/json"
    assert headers["x-amz-firehose-protocol-version"] == "1.0"
    assert GUID.match(headers["x-amz-firehose-request-id"])
    assert headers["x-amz-firehose-source-arn"] == hydrant.arn(name)
    assert headers["x-amz-firehose-access-key"] == "key-1234"
    assert json.loads(headers["x-amz-firehose-common-attributes"]) == {"commonAttributes": attributes}
    assert "content-encoding" not in headers
    body = json.loads(request["body"])
    assert list(body) == ["requestId", "timestamp", "records"]
    assert body["requestId"] == headers["x-amz-firehose-request-id"]
    assert abs(body["timestamp"] - time.time() * 1000) < 60_000
    assert [base64.b64decode(r["data"]) for r in body["records"]] == records
    assert request["path"] == receiver.path
    # Nothing failed, so nothing is in the bucket (FailedDataOnly).
    assert hydrant.read_objects(bucket) == {}


def test_gzip_content_encoding(hydrant, receiver):
    name, bucket = unique_name("http"), unique_name("b")
    create_stream(hydrant, name, http_destination(receiver.url, bucket, gzip_body=True), bucket)
    records = [b"x" * 1000 + b"%d" % i for i in range(200)]
    put(hydrant, name, records)
    assert receiver.wait_for_records(len(records)) == records
    request = [r for r in receiver.requests if r["outcome"] == "ok"][0]
    assert request["headers"]["content-encoding"] == "gzip"
    assert len(request["body"]) < len(gzip.decompress(request["body"])) / 10
    assert receiver.violations == []


@pytest.mark.parametrize("mode,arg,code", [
    ("status", 500, "HttpEndpoint.DestinationException"),
    ("status", 400, "HttpEndpoint.DestinationException"),
    ("redirect", 302, "HttpEndpoint.DestinationException"),
    ("bad_json", None, "HttpEndpoint.InvalidResponseFromDestination"),
    ("wrong_request_id", None, "HttpEndpoint.InvalidResponseFromDestination"),
    ("reset", None, "HttpEndpoint.Connection"),
])
def test_refusals_are_retried_with_the_same_request_id(hydrant, receiver, mode, arg, code):
    name, bucket = unique_name("http"), unique_name("b")
    create_stream(hydrant, name, http_destination(receiver.url, bucket), bucket)
    receiver.set_mode(mode, arg, times=2)
    records = [b"record-%d" % i for i in range(10)]
    put(hydrant, name, records)
    assert receiver.wait_for_records(len(records), timeout=30) == records
    ids = {r["request_id"] for r in receiver.requests}
    assert len(ids) == 1 and len(receiver.requests) == 3, receiver.requests
    assert receiver.violations == []  # a followed redirect would be one
    assert code in hydrant.log_text()
    assert hydrant.read_objects(bucket) == {}


def test_timestamp_as_a_string_is_accepted(hydrant, receiver):
    name, bucket = unique_name("http"), unique_name("b")
    create_stream(hydrant, name, http_destination(receiver.url, bucket), bucket)
    receiver.set_mode("timestamp_as_string")
    put(hydrant, name, [b"one"])
    assert receiver.wait_for_records(1) == [b"one"]
    time.sleep(1.5)
    assert len(receiver.requests) == 1


def test_a_slow_endpoint_times_out_and_is_retried(hydrant_factory, receiver):
    server = hydrant_factory(extra_args=["--http-endpoint-timeout-seconds", "1"])
    name, bucket = unique_name("http"), unique_name("b")
    create_stream(server, name, http_destination(receiver.url, bucket), bucket)
    receiver.set_mode("slow", 3, times=1)
    put(server, name, [b"late"])
    wait_for(lambda: len([r for r in receiver.requests if r["outcome"] == "ok"]) >= 1, timeout=30)
    assert receiver.unique_records() == [b"late"]
    assert len({r["request_id"] for r in receiver.requests}) == 1
    assert "HttpEndpoint.RequestTimeout" in server.log_text()


def test_after_the_retry_window_records_go_to_the_bucket(hydrant, receiver):
    name, bucket = unique_name("http"), unique_name("b")
    create_stream(hydrant, name, http_destination(receiver.url, bucket, retry_seconds=2), bucket)
    receiver.set_mode("status", 503)
    records = [b"lost-%d" % i for i in range(5)]
    put(hydrant, name, records)
    docs = wait_for(lambda: failed_documents(hydrant, bucket), timeout=30, message="failed records")
    assert [base64.b64decode(d["rawData"]) for d in docs] == records
    attempts = len(receiver.requests)
    for doc in docs:
        assert list(doc) == ["attemptsMade", "arrivalTimestamp", "errorCode", "errorMessage",
                             "attemptEndingTimestamp", "rawData", "subsequenceNumber", "dataId"]
        assert doc["errorCode"] == "HttpEndpoint.DestinationException"
        assert "503" in doc["errorMessage"] and "Received the following response" in doc["errorMessage"]
        assert doc["attemptsMade"] == attempts >= 2
        assert doc["arrivalTimestamp"] <= doc["attemptEndingTimestamp"]
    # Out of the window: no further attempts.
    time.sleep(2)
    assert len(receiver.requests) == attempts
    metrics = urllib.request.urlopen(hydrant.endpoint + "/metrics").read().decode()
    assert f'hydrant_records_delivery_failed_total{{delivery_stream="{name}"}} 5' in metrics


def test_413_fails_at_once(hydrant, receiver):
    name, bucket = unique_name("http"), unique_name("b")
    create_stream(hydrant, name, http_destination(receiver.url, bucket, retry_seconds=600), bucket)
    receiver.set_mode("status", 413)
    put(hydrant, name, [b"too big"])
    docs = wait_for(lambda: failed_documents(hydrant, bucket), timeout=20, message="failed records")
    assert len(receiver.requests) == 1
    assert docs[0]["attemptsMade"] == 1 and "413" in docs[0]["errorMessage"]


def test_all_data_writes_every_record_to_the_bucket_too(hydrant, receiver):
    name, bucket = unique_name("http"), unique_name("b")
    create_stream(hydrant, name, http_destination(receiver.url, bucket, all_data=True), bucket)
    records = [b"a\n", b"b\n", b"c\n"]
    put(hydrant, name, records)
    assert receiver.wait_for_records(3) == records
    objects = hydrant.wait_objects(bucket, total_bytes=6)
    assert b"".join(objects.values()) == b"a\nb\nc\n"
    assert all(re.match(r"^\d{4}/\d{2}/\d{2}/\d{2}/" + name + r"-1-", k) for k in objects)


def test_lambda_transforms_before_the_endpoint(hydrant, receiver, tmp_path):
    import zipfile
    package = tmp_path / "fn.zip"
    with zipfile.ZipFile(package, "w") as z:
        z.write(seed_dir() / "lambda_function.py", "lambda_function.py")
    result = hydrant.aws("lambda", "create-function", "--function-name", "TransformETLFunction",
                         "--runtime", "python3.11", "--handler", "lambda_function.lambda_handler",
                         "--role", ROLE, "--zip-file", f"fileb://{package}")
    assert result.returncode == 0, result.stderr
    processing = {"Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": [{
        "ParameterName": "LambdaArn",
        "ParameterValue": "arn:aws:lambda:us-east-1:123456789012:function:TransformETLFunction"}]}]}
    name, bucket = unique_name("http"), unique_name("b")
    create_stream(hydrant, name, http_destination(receiver.url, bucket, processing=processing), bucket)
    good = json.dumps({"user": "kimdh", "time": "2026-12-06T10:00:00Z", "action": "login"}).encode()
    put(hydrant, name, [good, b"not json"])
    delivered = receiver.wait_for_records(1, timeout=30)
    assert [json.loads(r) for r in delivered] == [
        {"username": "kimdh", "timestamp": "2026-12-06T10:00:00Z", "action": "login"}]
    # The record the function failed is in the S3 location's processing-failed/ output.
    objects = hydrant.wait_objects(bucket, prefix="processing-failed/")
    doc = json.loads(next(iter(objects.values())).decode().splitlines()[0])
    assert base64.b64decode(doc["rawData"]) == b"not json"


def test_update_destination_to_a_new_url(hydrant, receiver):
    name, bucket = unique_name("http"), unique_name("b")
    create_stream(hydrant, name, http_destination(receiver.url, bucket), bucket)
    put(hydrant, name, [b"first"])
    assert receiver.wait_for_records(1) == [b"first"]
    with FirehoseReceiver(access_key="new-key") as second:
        firehose = hydrant.firehose()
        d = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
        firehose.update_destination(
            DeliveryStreamName=name, CurrentDeliveryStreamVersionId=d["VersionId"],
            DestinationId=d["Destinations"][0]["DestinationId"],
            HttpEndpointDestinationUpdate={"EndpointConfiguration": {"Url": second.url, "AccessKey": "new-key"}})
        put(hydrant, name, [b"second"])
        assert second.wait_for_records(1) == [b"second"]
        assert second.violations == []
    assert receiver.records() == [b"first"]


def test_kill_9_during_delivery_loses_nothing_and_repeats_only_under_one_request_id(hydrant, receiver):
    name, bucket = unique_name("http"), unique_name("b")
    create_stream(hydrant, name, http_destination(receiver.url, bucket), bucket)
    sent = []
    for round_ in range(3):
        receiver.set_mode("slow", 2, times=1)
        batch = [b"r%d-%d" % (round_, i) for i in range(100)]
        put(hydrant, name, batch)
        sent += batch
        # Killed while the endpoint holds a request (or has just answered it).
        wait_for(lambda: any(r["outcome"] == "slow" for r in receiver.requests[-1:]), timeout=20)
        time.sleep(0.5)
        hydrant.kill()
        hydrant.restart()
    wait_for(lambda: sorted(receiver.unique_records()) == sorted(sent), timeout=60,
             message="every record once, deduplicated by request id")
    assert receiver.violations == []  # a request id sent twice carried the same records


def test_metrics_use_the_services_names(hydrant, receiver):
    name, bucket = unique_name("http"), unique_name("b")
    create_stream(hydrant, name, http_destination(receiver.url, bucket), bucket)
    receiver.set_mode("status", 500, times=1)
    put(hydrant, name, [b"12345", b"678"])
    receiver.wait_for_records(2, timeout=20)
    def sample(metric):
        text = urllib.request.urlopen(hydrant.endpoint + "/metrics").read().decode()
        m = re.search(rf'^{metric}{{delivery_stream="{name}"}} (\S+)$', text, re.M)
        return m and float(m.group(1))
    wait_for(lambda: sample("firehose_delivery_to_http_endpoint_records_total") == 2)
    assert sample("firehose_delivery_to_http_endpoint_bytes_total") == 8
    assert sample("firehose_delivery_to_http_endpoint_successful_requests_total") == 1
    assert sample("firehose_delivery_to_http_endpoint_failed_requests_total") == 1
    assert sample("firehose_delivery_to_http_endpoint_processed_records_total") == 4
    assert sample("firehose_delivery_to_http_endpoint_processed_bytes_total") > 0
    assert sample("firehose_delivery_to_http_endpoint_data_freshness_seconds") == 0
    assert sample("firehose_delivery_to_s3_records_total") is None


def test_failed_records_wait_for_their_bucket(hydrant, receiver):
    """The error output's bucket is missing: nothing is dropped, delivery pauses and retries,
    and the failed records land once the bucket exists."""
    name, bucket = unique_name("http"), unique_name("b")
    hydrant.firehose().create_delivery_stream(
        DeliveryStreamName=name,
        HttpEndpointDestinationConfiguration=http_destination(receiver.url, bucket, retry_seconds=0))
    hydrant.wait_active(name)
    receiver.set_mode("status", 503)
    put(hydrant, name, [b"keep me"])
    wait_for(lambda: "NoSuchBucket" in hydrant.log_text(), timeout=20, message="the error output's write failing")
    hydrant.s3().create_bucket(Bucket=bucket)
    docs = wait_for(lambda: failed_documents(hydrant, bucket), timeout=30, message="failed records")
    assert [base64.b64decode(d["rawData"]) for d in docs] == [b"keep me"]
    assert len(receiver.requests) == 1  # RetryOptions.DurationInSeconds 0: no retry


def test_an_https_endpoint_is_verified_against_the_configured_ca_bundle(hydrant_factory, tmp_path):
    """A receiver with a certificate from a private CA: refused (and the data kept) without
    --http-endpoint-ca-bundle, delivered with it, and delivered without it when verification is
    turned off explicitly (which the log says)."""
    from test_remote_s3 import private_ca_and_certificate
    key, cert, ca = private_ca_and_certificate(tmp_path)
    with FirehoseReceiver(tls=(cert, key)) as rx:
        name, bucket = unique_name("http"), unique_name("b")
        untrusting = hydrant_factory()
        create_stream(untrusting, name, http_destination(rx.url, bucket), bucket)
        put(untrusting, name, [b"over tls"])
        wait_for(lambda: "HttpEndpoint.SSLHandshakeFailure" in untrusting.log_text(), timeout=20,
                 message="the certificate refused")
        assert rx.records() == []
        trusting = hydrant_factory(extra_args=["--http-endpoint-ca-bundle", str(ca)])
        create_stream(trusting, name, http_destination(rx.url, bucket), bucket)
        put(trusting, name, [b"over tls"])
        assert rx.wait_for_records(1) == [b"over tls"]
        unverifying = hydrant_factory(extra_args=["--http-endpoint-insecure-skip-verify"])
        assert "the certificates of https endpoints are not verified" in unverifying.log_text()
        create_stream(unverifying, name, http_destination(rx.url, bucket), bucket)
        put(unverifying, name, [b"unverified"])
        assert rx.wait_for_records(2) == [b"over tls", b"unverified"]
        assert rx.violations == []
