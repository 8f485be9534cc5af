"""The user's tutorial (/work/shared/seed), run with the real aws CLI and the unmodified producer.py.

Facts relied on (clients-and-peers.md §1, §3): the producer base64-encodes the JSON itself and
boto3 encodes the blob again, so the stored record is the base64 *text*; CLI v1 and pyenv's boto3
take the endpoint from AWS_ENDPOINT_URL(_FIREHOSE); the seed's create-delivery-stream.sh passes
ProcessingConfiguration inside --s3-destination-configuration, which the CLI itself refuses.
"""
import base64
import json
import re
import signal
import subprocess
import sys
import time

import pytest

from harness import seed_dir

SEED = seed_dir()
STREAM = "firehose-etl-stream"
BUCKET = "firehose-etl-demo-bucket"
# What producer.py stores: base64 of json.dumps(data), the bytes boto3 then encodes once more.
PRODUCER_RECORD = base64.b64encode(json.dumps(
    {"user": "kimdh", "time": "2025-08-07T10:15:00Z", "action": "login"}).encode("utf-8"))
KEY_RE = re.compile(r"^etl-output/(\d{4})/(\d{2})/(\d{2})/(\d{2})/firehose-etl-stream-1-"
                    r"(\d{4})-(\d{2})-(\d{2})-(\d{2})-\d{2}-\d{2}-"
                    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def seed_files():
    if not SEED.is_dir():
        pytest.fail(f"seed folder {SEED} is missing")
    return SEED


def seed_config_without_processing(tmp_path, **hints):
    config = json.loads((SEED / "s3-config.json").read_text())
    config.pop("ProcessingConfiguration")
    config["BufferingHints"].update(hints)
    path = tmp_path / "s3-config-noproc.json"
    path.write_text(json.dumps(config))
    return path


def make_bucket(hydrant):
    result = hydrant.aws("s3", "mb", f"s3://{BUCKET}", region="us-east-1", check=True)
    assert f"make_bucket: {BUCKET}" in result.stdout


def create_stream(hydrant, config_path):
    result = hydrant.aws("firehose", "create-delivery-stream", "--delivery-stream-name", STREAM,
                         "--s3-destination-configuration", f"file://{config_path}", check=True)
    assert json.loads(result.stdout)["DeliveryStreamARN"].endswith(f":deliverystream/{STREAM}")
    return hydrant.wait_active(STREAM)


def run_producer(hydrant):
    """python3 seed/producer.py, untouched; only the environment points it at hydrant."""
    result = subprocess.run([sys.executable, str(SEED / "producer.py")], capture_output=True, text=True,
                            timeout=60, env=hydrant.client_env(AWS_ENDPOINT_URL_FIREHOSE=hydrant.endpoint))
    assert result.returncode == 0, f"producer.py failed:\n{result.stdout}\n{result.stderr}"


def list_keys_with_cli(hydrant):
    result = hydrant.aws("s3", "ls", "--recursive", f"s3://{BUCKET}/", region="us-east-1", check=True)
    # Lines look like: "2026-11-27 15:30:41         92 etl-output/2026/11/27/15/firehose-etl-stream-1-..."
    rows = [line.split(None, 3) for line in result.stdout.splitlines() if line.strip()]
    return {row[3]: int(row[2]) for row in rows}


def fetch_with_cli(hydrant, key, tmp_path):
    target = tmp_path / "downloaded"
    hydrant.aws("s3", "cp", f"s3://{BUCKET}/{key}", str(target), region="us-east-1", check=True)
    return target.read_bytes()


def assert_producer_record_delivered(hydrant, tmp_path, keys):
    assert len(keys) == 1, keys
    (key, size), = keys.items()
    match = KEY_RE.match(key)
    assert match, key
    assert match.groups()[:4] == match.groups()[4:], "date folders match the timestamp in the name"
    assert size == len(PRODUCER_RECORD) == 92
    body = fetch_with_cli(hydrant, key, tmp_path)
    assert body == PRODUCER_RECORD, "the object holds the base64 text the producer double-encoded"
    assert json.loads(base64.b64decode(body)) == {"user": "kimdh", "time": "2025-08-07T10:15:00Z",
                                                  "action": "login"}


def test_seed_flow_with_one_second_buffering(hydrant, seed_files, tmp_path):
    make_bucket(hydrant)
    description = create_stream(hydrant, seed_config_without_processing(tmp_path, IntervalInSeconds=1))
    s3_description = description["Destinations"][0]["S3DestinationDescription"]
    assert s3_description["BucketARN"] == f"arn:aws:s3:::{BUCKET}"
    assert s3_description["Prefix"] == "etl-output/"
    assert s3_description["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 1}

    run_producer(hydrant)
    hydrant.wait_objects(BUCKET, prefix="etl-output/", total_bytes=len(PRODUCER_RECORD), timeout=15)
    assert_producer_record_delivered(hydrant, tmp_path, list_keys_with_cli(hydrant))


def test_seed_flow_with_seed_buffering_is_flushed_by_sigterm(hydrant, seed_files, tmp_path):
    # make-bucket.sh, unmodified: CLI v1 takes the endpoint from AWS_ENDPOINT_URL.
    made = subprocess.run(["bash", str(SEED / "make-bucket.sh")], capture_output=True, text=True, timeout=60,
                          env=hydrant.client_env(AWS_ENDPOINT_URL=hydrant.endpoint,
                                                 AWS_DEFAULT_REGION="us-east-1"))
    assert made.returncode == 0, made.stderr
    description = create_stream(hydrant, seed_config_without_processing(tmp_path))
    assert description["Destinations"][0]["S3DestinationDescription"]["BufferingHints"] == {
        "SizeInMBs": 5, "IntervalInSeconds": 300}

    run_producer(hydrant)
    time.sleep(1.5)
    assert list_keys_with_cli(hydrant) == {}, "5 MB / 300 s: the record is still buffered"

    assert hydrant.stop(signal.SIGTERM) == 0
    hydrant.restart()
    assert_producer_record_delivered(hydrant, tmp_path, list_keys_with_cli(hydrant))


def test_seed_create_script_fails_in_the_cli_itself(hydrant, seed_files):
    """The tutorial's command puts ProcessingConfiguration in the legacy S3 shape: the CLI refuses
    it before sending anything (exit 255 for CLI v1), exactly as against the real service."""
    result = subprocess.run(["bash", str(SEED / "create-delivery-stream.sh")], cwd=SEED, capture_output=True,
                            text=True, timeout=60,
                            env=hydrant.client_env(AWS_ENDPOINT_URL=hydrant.endpoint,
                                                   AWS_DEFAULT_REGION="ap-northeast-2"))
    assert result.returncode == 255, (result.returncode, result.stderr)
    assert 'Unknown parameter in S3DestinationConfiguration: "ProcessingConfiguration"' in result.stderr
    assert hydrant.firehose().list_delivery_streams()["DeliveryStreamNames"] == [], "nothing reached the server"
