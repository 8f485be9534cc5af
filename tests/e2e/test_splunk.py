"""Splunk destination: what HEC receives, the indexer acknowledgement, and what happens to refusals.

No Splunk can run on this machine (it is not packaged in Debian or npm): HEC is
tests/e2e/splunk_receiver.py, written from Splunk's public HTTP Event Collector documentation.
No real Splunk ran in these tests.
"""
import base64
import json
import re
import urllib.request
import zipfile

import pytest

from conftest import unique_name
from harness import wait_for
from splunk_receiver import TEST_TOKEN, SplunkReceiver

ROLE = "arn:aws:iam::123456789012:role/FirehoseDeliveryRole"
FAILED_KEY = re.compile(r"^splunk-failed/\d{4}/\d{2}/\d{2}/\d{2}/")
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture
def hec():
    with SplunkReceiver() as receiver:
        yield receiver


@pytest.fixture
def server(hydrant_factory):
    # The service's shortest acknowledgement timeout is 180 s; a hidden flag shortens it here.
    return hydrant_factory(extra_args=["--splunk-ack-timeout-ms", "1500"])


def splunk(bucket, url, *, endpoint_type="Event", retry_seconds=60, backup_mode="FailedEventsOnly", extra=None):
    config = {
        "HECEndpoint": url,
        "HECEndpointType": endpoint_type,
        "HECToken": TEST_TOKEN,
        "RetryOptions": {"DurationInSeconds": retry_seconds},
        "S3BackupMode": backup_mode,
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1},
        "S3Configuration": {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
                            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}},
    }
    config.update(extra or {})
    return config


def create(server, config):
    name, bucket = unique_name("sp"), config["S3Configuration"]["BucketARN"].split(":::")[1]
    server.s3().create_bucket(Bucket=bucket)
    server.firehose().create_delivery_stream(DeliveryStreamName=name, SplunkDestinationConfiguration=config)
    server.wait_active(name)
    return name


def put(server, name, records):
    response = server.firehose().put_record_batch(DeliveryStreamName=name, Records=[{"Data": r} for r in records])
    assert response["FailedPutCount"] == 0


def failed_events(server, bucket):
    objects = server.read_objects(bucket)
    return [json.loads(line) for key, body in sorted(objects.items()) if FAILED_KEY.match(key)
            for line in body.decode().splitlines() if line.strip()]


def test_event_endpoint_with_indexer_acknowledgement(server, hec):
    bucket = unique_name("b")
    name = create(server, splunk(bucket, hec.url))
    events = [json.dumps({"event": {"n": i}, "sourcetype": "test"}).encode() + b"\n" for i in range(20)]
    put(server, name, events)
    hec.wait_for_events(20)
    assert [e["event"] for e in hec.events()] == [{"n": i} for i in range(20)]
    data = [r for r in hec.requests if r["path"].startswith("/services/collector/event")]
    assert data and data[0]["headers"]["authorization"] == f"Splunk {TEST_TOKEN}"
    assert GUID.match(data[0]["channel"])
    wait_for(lambda: any(q["answer"] == {str(hec.events()[0]["ackId"]): True} for q in hec.ack_queries),
             message="the acknowledgement polled")

    description = server.firehose().describe_delivery_stream(DeliveryStreamName=name)[
        "DeliveryStreamDescription"]["Destinations"][0]["SplunkDestinationDescription"]
    assert (description["HECEndpointType"], description["HECAcknowledgmentTimeoutInSeconds"]) == ("Event", 180)
    assert description["BufferingHints"] == {"IntervalInSeconds": 1, "SizeInMBs": 1}
    metrics = wait_for(lambda: (m := urllib.request.urlopen(server.endpoint + "/metrics").read().decode()) and re.search(
        r'firehose_delivery_to_splunk_records_total\{[^}]*stream="%s"[^}]*\} 20' % name, m) and m,
        message="the delivered records counted")
    assert re.search(r'firehose_delivery_to_splunk_data_ack_latency_seconds\{[^}]*stream="%s"' % name, metrics)


def test_raw_endpoint_one_event_per_line(server, hec):
    name = create(server, splunk(unique_name("b"), hec.url, endpoint_type="Raw"))
    put(server, name, [b"line one\n", b"line two\nline three\n"])
    hec.wait_for_events(3)
    assert [e["event"] for e in hec.events()] == ["line one", "line two", "line three"]
    assert all(e["endpoint"] == "raw" for e in hec.events())


def test_update_destination_switches_to_raw_and_keeps_the_token(server, hec):
    name = create(server, splunk(unique_name("b"), hec.url))
    firehose = server.firehose()
    before = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    firehose.update_destination(DeliveryStreamName=name, CurrentDeliveryStreamVersionId=before["VersionId"],
                                DestinationId=before["Destinations"][0]["DestinationId"],
                                SplunkDestinationUpdate={"HECEndpointType": "Raw",
                                                         "BufferingHints": {"IntervalInSeconds": 2}})
    after = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    assert int(after["VersionId"]) == int(before["VersionId"]) + 1
    destination = after["Destinations"][0]["SplunkDestinationDescription"]
    assert destination["HECEndpointType"] == "Raw" and destination["HECToken"] == TEST_TOKEN
    assert destination["BufferingHints"] == {"IntervalInSeconds": 2, "SizeInMBs": 1}
    put(server, name, [b"after the update\n"])
    hec.wait_for_events(1)
    assert [(e["event"], e["endpoint"]) for e in hec.events()] == [("after the update", "raw")]


def test_no_acknowledgement_in_time_sends_the_batch_again(server, hec):
    name = create(server, splunk(unique_name("b"), hec.url))
    hec.never_index(True)
    put(server, name, [json.dumps({"event": "late"}).encode()])
    wait_for(lambda: "Splunk.AckTimeout" in server.log_text(), timeout=20, message="an acknowledgement timeout")
    hec.never_index(False)
    hec.wait_for_events(1, timeout=30)
    # Sent again on the same channel after the timeout: HEC received it at least twice.
    received = [e for e in hec.received_events() if e["event"] == "late"]
    assert len(received) >= 2 and len({e["channel"] for e in received}) == 1


def test_busy_is_retried_and_invalid_data_goes_to_s3(server, hec):
    bucket = unique_name("b")
    name = create(server, splunk(bucket, hec.url))
    hec.fail_requests(503, times=2)
    put(server, name, [json.dumps({"event": "after busy"}).encode()])
    hec.wait_for_events(1, timeout=30)

    put(server, name, [b"not an HEC event"])
    failed = wait_for(lambda: failed_events(server, bucket), timeout=30, message="the refused event in S3")
    assert list(failed[0]) == ["attemptsMade", "arrivalTimestamp", "errorCode", "errorMessage",
                               "attemptEndingTimestamp", "rawData", "EventId"]
    assert failed[0]["errorCode"] == "Splunk.InvalidDataFormat"
    assert base64.b64decode(failed[0]["rawData"]) == b"not an HEC event"
    assert re.fullmatch(r"\d+\.0", failed[0]["EventId"])


def test_after_the_retry_window_unacknowledged_events_go_to_s3(server, hec):
    bucket = unique_name("b")
    name = create(server, splunk(bucket, hec.url, retry_seconds=0))
    hec.never_index(True)
    put(server, name, [json.dumps({"event": i}).encode() for i in range(3)])
    failed = wait_for(lambda: len(failed_events(server, bucket)) == 3 and failed_events(server, bucket), timeout=30,
                      message="three events in splunk-failed/")
    assert {f["errorCode"] for f in failed} == {"Splunk.AckTimeout"}


def test_a_lambda_makes_hec_events_and_all_events_are_backed_up(server, hec, tmp_path):
    package = tmp_path / "fn.zip"
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("fn.py", "import base64, json\n"
                            "def handler(event, context):\n"
                            "    out = []\n"
                            "    for r in event['records']:\n"
                            "        line = base64.b64decode(r['data']).decode().strip()\n"
                            "        wrapped = json.dumps({'event': line, 'sourcetype': 'app'}).encode()\n"
                            "        out.append({'recordId': r['recordId'], 'result': 'Ok',\n"
                            "                    'data': base64.b64encode(wrapped).decode()})\n"
                            "    return {'records': out}\n")
    result = server.aws("lambda", "create-function", "--function-name", "to-hec", "--runtime", "python3.11",
                        "--handler", "fn.handler", "--role", ROLE, "--zip-file", f"fileb://{package}")
    assert result.returncode == 0, result.stderr
    bucket = unique_name("b")
    name = create(server, splunk(bucket, hec.url, backup_mode="AllEvents", extra={"ProcessingConfiguration": {
        "Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": [
            {"ParameterName": "LambdaArn", "ParameterValue": "arn:aws:lambda:us-east-1:123456789012:function:to-hec"}]}]}}))
    put(server, name, [b"plain log line %d\n" % i for i in range(5)])
    hec.wait_for_events(5, timeout=60)
    assert [e["event"] for e in hec.events()] == [f"plain log line {i}" for i in range(5)]
    assert {e["sourcetype"] for e in hec.events()} == {"app"}
    backup = wait_for(lambda: (o := {k: v for k, v in server.read_objects(bucket).items() if not FAILED_KEY.match(k)})
                      and o, timeout=90, message="the AllEvents backup")
    assert b"".join(backup.values()).count(b'"sourcetype": "app"') == 5
