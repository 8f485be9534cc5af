"""Dynamic partitioning end to end with boto3 and the aws CLI: keys from MetadataExtraction (jq)
and from a Lambda's metadata.partitionKeys, one object per evaluated prefix, records that cannot
be partitioned in the error output, the active-partition quota, and kill -9 with partitions
delivered and partitions still buffered.

Buffers are 64 MB (the smallest the service allows with dynamic partitioning), so objects are
cut by the 1-2 s interval.
"""
import base64
import json
import time
import urllib.request
import zipfile
from collections import defaultdict

import pytest

from conftest import unique_name
from harness import wait_for

ROLE = "arn:aws:iam::123456789012:role/FirehoseDeliveryRole"
ERROR_PREFIX = "errors/!{firehose:error-output-type}/!{timestamp:yyyy}/"

LAMBDA_KEYS = """
import base64, json

def handler(event, context):
    out = []
    for r in event["records"]:
        doc = json.loads(base64.b64decode(r["data"]))
        entry = {"recordId": r["recordId"], "result": "Ok", "data": r["data"]}
        if "region" in doc:
            entry["metadata"] = {"partitionKeys": {"region": doc["region"]}}
        out.append(entry)
    return {"records": out}
"""


def param(name, value):
    return {"ParameterName": name, "ParameterValue": value}


def jq_processor(query):
    return {"Type": "MetadataExtraction", "Parameters": [
        param("MetadataExtractionQuery", query), param("JsonParsingEngine", "JQ-1.6")]}


def create_partitioned_stream(server, name, bucket, prefix, processors, interval_s=1, **extra):
    server.s3().create_bucket(Bucket=bucket)
    server.create_s3_stream(
        name, bucket, prefix=prefix, size_mb=64, interval_s=interval_s,
        ErrorOutputPrefix=ERROR_PREFIX,
        DynamicPartitioningConfiguration={"Enabled": True, "RetryOptions": {"DurationInSeconds": 60}},
        ProcessingConfiguration={"Enabled": True, "Processors": processors}, **extra)


def put(fh, name, records):
    for start in range(0, len(records), 500):
        response = fh.put_record_batch(DeliveryStreamName=name,
                                       Records=[{"Data": r} for r in records[start:start + 500]])
        assert response["FailedPutCount"] == 0, response


def objects_by_folder(server, bucket, total_records, timeout=30):
    """Waits until the bucket holds total_records lines; returns {folder: [lines in key order]}
    and the keys."""
    def ready():
        objects = server.read_objects(bucket)
        lines = sum(len(body.splitlines()) for body in objects.values())
        return objects if lines >= total_records else None

    objects = wait_for(ready, timeout=timeout, interval=0.2, message=f"{total_records} records")
    folders = defaultdict(list)
    for key in sorted(objects):
        folders[key.rsplit("/", 1)[0]].extend(objects[key].splitlines())
    return folders, objects


def test_jq_keys_make_one_object_per_partition(hydrant):
    bucket, name = unique_name("bkt"), unique_name("st")
    create_partitioned_stream(
        hydrant, name, bucket,
        prefix="customer_id=!{partitionKeyFromQuery:customer_id}/device=!{partitionKeyFromQuery:device}/"
               "!{timestamp:yyyy}/",
        processors=[jq_processor("{customer_id: .customer_id, device: .device}"),
                    {"Type": "AppendDelimiterToRecord"}])
    records = [json.dumps({"customer_id": c, "device": d, "n": n}).encode()
               for n in range(60) for c in (1, 2, 3) for d in ("mobile", "web")]
    bad = [b"not json", json.dumps({"customer_id": 9, "device": None}).encode()]
    fh = hydrant.firehose()
    put(fh, name, records + bad)

    folders, objects = objects_by_folder(hydrant, bucket, len(records) + len(bad))
    year = str(time.gmtime().tm_year)
    expected = defaultdict(list)
    for r in records:
        doc = json.loads(r)
        expected[f"customer_id={doc['customer_id']}/device={doc['device']}/{year}"].append(r)
    data_folders = {f: lines for f, lines in folders.items() if not f.startswith("errors/")}
    assert data_folders == dict(expected)  # each partition's records, in put order, nothing else
    # One object per partition: the 1 s interval cut them, 64 MB was never reached.
    data_keys = [k for k in objects if not k.startswith("errors/")]
    assert len(data_keys) == 6
    assert all(k.rsplit("/", 1)[1].startswith(f"{name}-1-") for k in data_keys)

    # Records jq cannot partition go to the error output with the record and the reason.
    errors = [json.loads(line) for f, lines in folders.items() if f.startswith("errors/") for line in lines]
    assert {e["errorCode"] for e in errors} == {"DynamicPartitioning.MetadataExtractionFailed"}
    raw = sorted(base64.b64decode(e["rawData"]) for e in errors)
    assert raw == sorted(bad)
    assert all(f == f"errors/processing-failed/{year}" for f in folders if f.startswith("errors/"))

    description = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    dp = description["Destinations"][0]["ExtendedS3DestinationDescription"]["DynamicPartitioningConfiguration"]
    assert dp == {"Enabled": True, "RetryOptions": {"DurationInSeconds": 60}}


def test_lambda_keys_and_records_without_them(hydrant, tmp_path):
    package = tmp_path / "keys.zip"
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("fn.py", LAMBDA_KEYS)
    result = hydrant.aws("lambda", "create-function", "--function-name", "keys", "--runtime", "python3.11",
                         "--handler", "fn.handler", "--role", ROLE, "--zip-file", f"fileb://{package}")
    assert result.returncode == 0, result.stderr
    bucket, name = unique_name("bkt"), unique_name("st")
    arn = f"arn:aws:lambda:{hydrant.region}:{hydrant.account_id}:function:keys"
    create_partitioned_stream(hydrant, name, bucket, prefix="region=!{partitionKeyFromLambda:region}/",
                              processors=[{"Type": "Lambda", "Parameters": [param("LambdaArn", arn)]}])
    records = [json.dumps({"region": region, "n": n}).encode() + b"\n"
               for n in range(100) for region in ("eu", "us")]
    keyless = json.dumps({"n": -1}).encode() + b"\n"
    put(hydrant.firehose(), name, records + [keyless])

    folders, _ = objects_by_folder(hydrant, bucket, len(records) + 1)
    assert folders["region=eu"] == [r.rstrip(b"\n") for r in records if b'"eu"' in r]
    assert folders["region=us"] == [r.rstrip(b"\n") for r in records if b'"us"' in r]
    [error_folder] = [f for f in folders if f.startswith("errors/")]
    [error] = [json.loads(line) for line in folders[error_folder]]
    assert error["errorCode"] == "DynamicPartitioning.PartitionKeyMissing"
    assert "partitionKeyFromLambda:region" in error["errorMessage"]
    assert base64.b64decode(error["rawData"]) == keyless


def test_active_partition_quota_sends_the_rest_to_the_error_output(hydrant_factory):
    server = hydrant_factory(extra_args=["--max-active-partitions", "3"])
    bucket, name = unique_name("bkt"), unique_name("st")
    create_partitioned_stream(server, name, bucket, prefix="k=!{partitionKeyFromQuery:k}/",
                              processors=[jq_processor("{k: .k}"), {"Type": "AppendDelimiterToRecord"}],
                              interval_s=3)
    # One request: customers 0-2 take the three partitions, 3 and 4 find the quota reached.
    records = [json.dumps({"k": k, "n": n}).encode() for n in range(4) for k in range(5)]
    put(server.firehose(), name, records)

    folders, _ = objects_by_folder(server, bucket, len(records))
    for k in range(3):
        assert folders[f"k={k}"] == [r for r in records if json.loads(r)["k"] == k]
    [overflow_folder] = [f for f in folders if f.startswith("errors/")]
    assert overflow_folder.startswith("errors/activePartitionExceeded/")
    overflow = [json.loads(line) for line in folders[overflow_folder]]
    assert sorted(base64.b64decode(e["rawData"]) for e in overflow) == \
        sorted(r for r in records if json.loads(r)["k"] >= 3)
    assert {e["errorCode"] for e in overflow} == {"DynamicPartitioning.ActivePartitionsLimitExceeded"}
    assert not any(f.startswith("k=3") or f.startswith("k=4") for f in folders)
    metrics = urllib.request.urlopen(f"{server.endpoint}/metrics").read().decode()
    assert f'firehose_partition_count_exceeded_records_total{{delivery_stream="{name}"}} 8' in metrics


def test_kill9_with_partitions_delivered_and_buffered_loses_and_repeats_nothing(hydrant):
    bucket, name = unique_name("bkt"), unique_name("st")
    create_partitioned_stream(hydrant, name, bucket, prefix="k=!{partitionKeyFromQuery:k}/",
                              processors=[jq_processor("{k: .k}"), {"Type": "AppendDelimiterToRecord"}],
                              interval_s=2)
    fh = hydrant.firehose()
    first = [json.dumps({"k": k % 4, "batch": 1, "n": k}).encode() for k in range(400)]
    put(fh, name, first)
    objects_by_folder(hydrant, bucket, len(first))  # delivered; still in the log's open segment
    second = [json.dumps({"k": k % 5, "batch": 2, "n": k}).encode() for k in range(400)]
    put(fh, name, second)  # acknowledged, then killed before its 2 s interval ends
    hydrant.kill()
    hydrant.restart()

    folders, objects = objects_by_folder(hydrant, bucket, len(first) + len(second))
    lines = [line for body in objects.values() for line in body.splitlines()]
    assert sorted(lines) == sorted(first + second)  # each record exactly once
    for k in range(5):
        assert folders[f"k={k}"] == [r for r in first + second if json.loads(r)["k"] == k]


def test_partitioning_rules_at_creation(hydrant):
    fh = hydrant.firehose()
    bucket = unique_name("bkt")
    base = {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
            "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60}}

    def create_error(**config):
        with pytest.raises(fh.exceptions.InvalidArgumentException) as error:
            fh.create_delivery_stream(DeliveryStreamName=unique_name("st"),
                                      ExtendedS3DestinationConfiguration={**base, **config})
        return error.value.response["Error"]["Message"]

    assert "ErrorOutputPrefix is required" in create_error(
        Prefix="p/", DynamicPartitioningConfiguration={"Enabled": True})
    assert "at least 64" in create_error(
        Prefix="p/", ErrorOutputPrefix="e/", BufferingHints={"SizeInMBs": 5, "IntervalInSeconds": 60},
        DynamicPartitioningConfiguration={"Enabled": True})
    assert "only be part of a prefix expression when Dynamic Partitioning is enabled" in create_error(
        Prefix="k=!{partitionKeyFromQuery:k}/", ErrorOutputPrefix="e/!{firehose:error-output-type}/")
    assert "no enabled MetadataExtraction processor" in create_error(
        Prefix="k=!{partitionKeyFromQuery:k}/", ErrorOutputPrefix="e/!{firehose:error-output-type}/",
        DynamicPartitioningConfiguration={"Enabled": True})
    assert "MetadataExtraction processor can only be used when dynamic partitioning is enabled" in create_error(
        Prefix="p/", ProcessingConfiguration={"Enabled": True, "Processors": [jq_processor("{k: .k}")]})
