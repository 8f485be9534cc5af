"""Data transformation with the tutorial's own Lambda function, run locally through the
Lambda Runtime API, exactly as the managed service would run it."""
import base64
import io
import json
import re
import subprocess
import sys
import zipfile

from harness import seed_dir

SEED = seed_dir()
FUNCTION = "TransformETLFunction"
BUCKET = "firehose-etl-demo-bucket"
STREAM = "firehose-etl-stream"
ROLE = "arn:aws:iam::123456789012:role/FirehoseDeliveryRole"


def deploy_seed_function(server, tmp_path):
    package = tmp_path / "fn.zip"
    with zipfile.ZipFile(package, "w") as z:
        z.write(SEED / "lambda_function.py", "lambda_function.py")
    result = server.aws("lambda", "create-function", "--function-name", FUNCTION,
                        "--runtime", "python3.11", "--handler", "lambda_function.lambda_handler",
                        "--role", ROLE, "--zip-file", f"fileb://{package}")
    assert result.returncode == 0, result.stderr


def create_seed_stream(server, tmp_path, interval_s=1):
    config = json.loads((SEED / "s3-config.json").read_text())
    config["BufferingHints"] = {"SizeInMBs": 1, "IntervalInSeconds": interval_s}
    path = tmp_path / "s3-config.json"
    path.write_text(json.dumps(config))
    result = server.aws("firehose", "create-delivery-stream", "--delivery-stream-name", STREAM,
                        "--extended-s3-destination-configuration", f"file://{path}")
    assert result.returncode == 0, result.stderr
    server.wait_active(STREAM)


def test_seed_quick_start_both_ways(hydrant, tmp_path):
    assert hydrant.aws("s3", "mb", f"s3://{BUCKET}").returncode == 0
    deploy_seed_function(hydrant, tmp_path)
    create_seed_stream(hydrant, tmp_path)

    # A correctly encoded record is transformed by the function.
    fh = hydrant.firehose()
    record = {"user": "kimdh", "time": "2025-08-07T10:15:00Z", "action": "login"}
    fh.put_record(DeliveryStreamName=STREAM, Record={"Data": json.dumps(record).encode()})
    objects = hydrant.wait_objects(BUCKET, prefix="etl-output/", count=1, timeout=30)
    (key, body), = objects.items()
    assert re.fullmatch(r"etl-output/\d{4}/\d{2}/\d{2}/\d{2}/firehose-etl-stream-1-"
                        r"\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}", key), key
    assert json.loads(body) == {"username": "kimdh", "timestamp": "2025-08-07T10:15:00Z",
                                "action": "login"}

    # The tutorial's producer base64-encodes twice: the function cannot parse the record and
    # the service writes it to the error output in its error-record layout. Without an
    # ErrorOutputPrefix that is <Prefix>processing-failed/YYYY/MM/dd/HH/.
    env = hydrant.client_env(AWS_ENDPOINT_URL_FIREHOSE=hydrant.endpoint)
    subprocess.run([sys.executable, str(SEED / "producer.py")], env=env, check=True, timeout=60)
    failed = hydrant.wait_objects(BUCKET, prefix="etl-output/processing-failed/", count=1, timeout=30)
    (key, body), = failed.items()
    assert re.fullmatch(r"etl-output/processing-failed/\d{4}/\d{2}/\d{2}/\d{2}/"
                        r"firehose-etl-stream-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}", key), key
    error = json.loads(body.splitlines()[0])
    sent = base64.b64encode(json.dumps({"user": "kimdh", "time": "2025-08-07T10:15:00Z",
                                        "action": "login"}).encode())
    assert base64.b64decode(error["rawData"]) == sent
    assert error["lambdaArn"].endswith(":function:TransformETLFunction")
    assert error["errorCode"]
    assert isinstance(error["attemptsMade"], int) and error["attemptsMade"] >= 1
    assert isinstance(error["arrivalTimestamp"], int)
    # Only the transformed record was delivered; the failed one only to the error output.
    delivered = [k for k in hydrant.read_objects(BUCKET, prefix="etl-output/")
                 if not k.startswith("etl-output/processing-failed/")]
    assert len(delivered) == 1


def test_describe_shows_the_lambda_defaults_the_service_fills_in(hydrant, tmp_path):
    """Given only LambdaArn (the seed's s3-config.json), Describe lists the effective settings in
    the service's order, as tools that read them back (drift checks) expect."""
    assert hydrant.aws("s3", "mb", f"s3://{BUCKET}").returncode == 0
    create_seed_stream(hydrant, tmp_path)
    description = hydrant.firehose().describe_delivery_stream(DeliveryStreamName=STREAM)
    extended = description["DeliveryStreamDescription"]["Destinations"][0]["ExtendedS3DestinationDescription"]
    (processor,) = extended["ProcessingConfiguration"]["Processors"]
    assert processor["Type"] == "Lambda"
    assert [(p["ParameterName"], p["ParameterValue"]) for p in processor["Parameters"]] == [
        ("LambdaArn", "arn:aws:lambda:ap-northeast-2:123456789012:function:TransformETLFunction"),
        ("NumberOfRetries", "3"),
        ("RoleArn", ROLE),
        ("BufferSizeInMBs", "1"),
        ("BufferIntervalInSeconds", "60"),
    ]
