"""What happens to records when the transformation function misbehaves: each case ends with
every record either delivered or in the error output, in the service's error-record layout."""
import base64
import json
import zipfile
from pathlib import Path

import pytest

from harness import wait_for

ROLE = "arn:aws:iam::123456789012:role/FirehoseDeliveryRole"

# Handlers for each way a function can fail the contract.
HANDLERS = {
    "identity": """
def handler(event, context):
    return {"records": [{"recordId": r["recordId"], "result": "Ok", "data": r["data"]}
                        for r in event["records"]]}
""",
    "raises": """
def handler(event, context):
    raise ValueError("boom")
""",
    "sleeps": """
import time
def handler(event, context):
    time.sleep(10)
""",
    "crashes": """
import os
def handler(event, context):
    os._exit(3)
""",
    "missing_id": """
def handler(event, context):
    return {"records": [{"recordId": r["recordId"], "result": "Ok", "data": r["data"]}
                        for r in event["records"][1:]]}
""",
    "duplicate_id": """
def handler(event, context):
    return {"records": [{"recordId": r["recordId"], "result": "Ok", "data": r["data"]}
                        for r in event["records"] for _ in range(2)]}
""",
    "extra_id": """
def handler(event, context):
    out = [{"recordId": r["recordId"], "result": "Ok", "data": r["data"]} for r in event["records"]]
    return {"records": out + [{"recordId": "invented", "result": "Ok", "data": "eHl6"}]}
""",
    "oversized": """
import base64
def handler(event, context):
    big = base64.b64encode(b"x" * 7_000_000).decode()
    return {"records": [{"recordId": r["recordId"], "result": "Ok", "data": big} for r in event["records"]]}
""",
    "not_json": """
def handler(event, context):
    return "this is not the contract"
""",
    "bad_base64": """
def handler(event, context):
    return {"records": [{"recordId": r["recordId"], "result": "Ok", "data": "***"}
                        for r in event["records"]]}
""",
    "drops_and_fails": """
import base64
def handler(event, context):
    out = []
    for r in event["records"]:
        text = base64.b64decode(r["data"])
        result = "Dropped" if text.startswith(b"drop") else "ProcessingFailed" if text.startswith(b"fail") else "Ok"
        out.append({"recordId": r["recordId"], "result": result, "data": base64.b64encode(text.upper()).decode()})
    return {"records": out}
""",
}


def deploy(server, tmp_path, name, timeout=3):
    package = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("fn.py", HANDLERS[name])
    result = server.aws("lambda", "create-function", "--function-name", name, "--runtime", "python3.11",
                        "--handler", "fn.handler", "--role", ROLE, "--timeout", str(timeout),
                        "--zip-file", f"fileb://{package}")
    assert result.returncode == 0, result.stderr


def create_stream(server, name, bucket, processors):
    fh = server.firehose()
    fh.create_delivery_stream(
        DeliveryStreamName=name,
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": "out/",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1},
            "ProcessingConfiguration": {"Enabled": True, "Processors": processors}})
    server.wait_active(name)
    return fh


def lambda_processor(function, retries=1):
    return {"Type": "Lambda", "Parameters": [
        {"ParameterName": "LambdaArn",
         "ParameterValue": f"arn:aws:lambda:us-east-1:123456789012:function:{function}"},
        {"ParameterName": "NumberOfRetries", "ParameterValue": str(retries)}]}


def error_records(server, bucket):
    objects = server.wait_objects(bucket, prefix="out/processing-failed/", count=1, timeout=60)
    return [json.loads(line) for body in objects.values() for line in body.splitlines()]


SENT = [b"first\n", b"second\n"]


# (function, error code, the records that end in the error output)
@pytest.mark.parametrize("function, code, expected_failed", [
    ("raises", "Lambda.FunctionError", SENT),
    ("sleeps", "Lambda.FunctionError", SENT),
    ("crashes", "Lambda.FunctionError", SENT),
    ("not_json", "Lambda.JsonProcessingException", SENT),
    ("bad_base64", "Lambda.FunctionError", SENT),
    ("oversized", "Lambda.FunctionError", SENT),
    # A missing or duplicated recordId fails those records only, as the service's error
    # records show; an invented one is ignored.
    ("missing_id", "Lambda.MissingRecordId", [b"first\n"]),
    ("duplicate_id", "Lambda.DuplicatedRecordId", SENT),
])
def test_misbehaving_function_sends_records_to_the_error_output(hydrant, tmp_path, function, code,
                                                                expected_failed):
    deploy(hydrant, tmp_path, function, timeout=1)
    hydrant.s3().create_bucket(Bucket="bkt")
    fh = create_stream(hydrant, "s", "bkt", [lambda_processor(function)])
    sent = SENT
    fh.put_record_batch(DeliveryStreamName="s", Records=[{"Data": d} for d in sent])
    errors = error_records(hydrant, "bkt")
    failed = {base64.b64decode(e["rawData"]) for e in errors}
    delivered = {line + b"\n" for k, v in hydrant.read_objects("bkt", prefix="out/").items()
                 if not k.startswith("out/processing-failed/") for line in v.splitlines()}
    # Nothing is lost, nothing doubled: every record is delivered or in the error output.
    assert failed | delivered == set(sent)
    assert not failed & delivered
    assert failed == set(expected_failed)
    assert {e["errorCode"] for e in errors} == {code}
    for e in errors:
        assert set(e) >= {"attemptsMade", "arrivalTimestamp", "errorCode", "errorMessage",
                          "attemptEndingTimestamp", "rawData", "lambdaArn"}
        assert e["lambdaArn"].endswith(f":function:{function}")


def test_invented_record_id_is_ignored(hydrant, tmp_path):
    deploy(hydrant, tmp_path, "extra_id")
    hydrant.s3().create_bucket(Bucket="bkt")
    fh = create_stream(hydrant, "s", "bkt", [lambda_processor("extra_id")])
    fh.put_record_batch(DeliveryStreamName="s", Records=[{"Data": d} for d in SENT])
    objects = hydrant.wait_objects("bkt", prefix="out/", count=1, timeout=30)
    assert list(objects.values()) == [b"".join(SENT)]


def test_ok_dropped_and_failed_records_each_go_their_way(hydrant, tmp_path):
    deploy(hydrant, tmp_path, "drops_and_fails")
    hydrant.s3().create_bucket(Bucket="bkt")
    fh = create_stream(hydrant, "s", "bkt", [lambda_processor("drops_and_fails"),
                                           {"Type": "AppendDelimiterToRecord"}])
    fh.put_record_batch(DeliveryStreamName="s", Records=[
        {"Data": b"keep-1"}, {"Data": b"drop-1"}, {"Data": b"fail-1"}, {"Data": b"keep-2"}])
    errors = error_records(hydrant, "bkt")
    assert [base64.b64decode(e["rawData"]) for e in errors] == [b"fail-1"]
    assert errors[0]["errorCode"] == "Lambda.ProcessingFailedStatus"
    delivered = {k: v for k, v in hydrant.read_objects("bkt", prefix="out/").items()
                 if not k.startswith("out/processing-failed/")}
    # Transformed by the function, then a newline appended by the built-in processor.
    assert list(delivered.values()) == [b"KEEP-1\nKEEP-2\n"]


def test_unknown_function_is_an_invocation_failure(hydrant):
    hydrant.s3().create_bucket(Bucket="bkt")
    fh = create_stream(hydrant, "s", "bkt", [lambda_processor("does-not-exist", retries=0)])
    fh.put_record(DeliveryStreamName="s", Record={"Data": b"x"})
    errors = error_records(hydrant, "bkt")
    assert [e["errorCode"] for e in errors] == ["Lambda.ResourceNotFound"]


def test_invalid_processing_configuration_is_refused_at_creation(hydrant):
    fh = hydrant.firehose()
    with pytest.raises(fh.exceptions.InvalidArgumentException) as error:
        fh.create_delivery_stream(
            DeliveryStreamName="s",
            ExtendedS3DestinationConfiguration={
                "RoleARN": ROLE, "BucketARN": "arn:aws:s3:::bkt",
                "ProcessingConfiguration": {"Enabled": True, "Processors": [
                    {"Type": "Lambda", "Parameters": [
                        {"ParameterName": "NumberOfRetries", "ParameterValue": "2"}]}]}})
    assert "LambdaArn" in str(error.value)


def test_kill9_during_an_invocation_loses_nothing(hydrant, tmp_path):
    package = tmp_path / "slow.zip"
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("fn.py", "import time\n" + HANDLERS["identity"].replace(
            "def handler(event, context):\n", "def handler(event, context):\n    time.sleep(2)\n"))
    assert hydrant.aws("lambda", "create-function", "--function-name", "slow", "--runtime", "python3.11",
                       "--handler", "fn.handler", "--role", ROLE, "--timeout", "10",
                       "--zip-file", f"fileb://{package}").returncode == 0
    hydrant.s3().create_bucket(Bucket="bkt")
    fh = create_stream(hydrant, "s", "bkt", [lambda_processor("slow")])
    records = [f"rec-{i}\n".encode() for i in range(100)]
    assert fh.put_record_batch(DeliveryStreamName="s",
                               Records=[{"Data": r} for r in records])["FailedPutCount"] == 0
    # Workers start on the first invocation, and this one takes 2 s: kill while it runs.
    def worker_running():
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if b"bootstrap" in cmdline.read_bytes():
                    return True
            except OSError:  # the process exited meanwhile
                pass
        return False
    wait_for(worker_running, timeout=10, message="a worker running the function")
    hydrant.kill()
    hydrant.restart()
    objects = hydrant.wait_objects("bkt", prefix="out/", count=1, timeout=30)
    delivered = b"".join(objects.values())
    assert sorted(delivered.splitlines(keepends=True)) == sorted(records)
