"""The --config file: server settings, buckets and streams in the CreateDeliveryStream shape."""
import json
import subprocess

import pytest

from harness import ServerStartError, hydrant_binary, seed_dir

SEED = seed_dir() / "s3-config.json"


def seed_destination():
    """The tutorial's destination config, pasted as the user would, minus the Lambda processor."""
    config = json.loads(SEED.read_text())
    config.pop("ProcessingConfiguration")
    config["BufferingHints"] = {"SizeInMBs": 1, "IntervalInSeconds": 1}
    return config


def write_config(tmp_path, text):
    path = tmp_path / "hydrant.yaml"
    path.write_text(text)
    return path


def test_streams_and_buckets_from_the_config_file_work_at_start(hydrant_factory, tmp_path):
    # JSON is YAML: the user pastes the CreateDeliveryStream request as is.
    stream = {"DeliveryStreamName": "firehose-etl-stream",
              "ExtendedS3DestinationConfiguration": seed_destination()}
    config = write_config(tmp_path, "account_id: '123456789012'\n"
                                    "buckets: [firehose-etl-demo-bucket]\n"
                                    f"streams:\n  - {json.dumps(stream)}\n")
    server = hydrant_factory(config_file=config, region="ap-northeast-2")
    fh = server.firehose()
    description = fh.describe_delivery_stream(DeliveryStreamName="firehose-etl-stream")["DeliveryStreamDescription"]
    assert description["DeliveryStreamARN"] == \
        "arn:aws:firehose:ap-northeast-2:123456789012:deliverystream/firehose-etl-stream"
    destination = description["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert destination["Prefix"] == "etl-output/"
    assert destination["BufferingHints"] == {"SizeInMBs": 1, "IntervalInSeconds": 1}

    server.wait_active("firehose-etl-stream")
    fh.put_record(DeliveryStreamName="firehose-etl-stream", Record={"Data": b'{"user":"kimdh"}\n'})
    objects = server.wait_objects("firehose-etl-demo-bucket", prefix="etl-output/", count=1)
    assert list(objects.values()) == [b'{"user":"kimdh"}\n']


def test_yaml_syntax_and_restart_keep_api_changes(hydrant_factory, tmp_path):
    config = write_config(tmp_path, """
buckets:
  - logs
streams:
  - DeliveryStreamName: app-logs
    ExtendedS3DestinationConfiguration:
      RoleARN: arn:aws:iam::123456789012:role/FirehoseDeliveryRole
      BucketARN: arn:aws:s3:::logs
      Prefix: app/
      BufferingHints: {SizeInMBs: 5, IntervalInSeconds: 300}
""")
    server = hydrant_factory(config_file=config)
    fh = server.firehose()
    server.wait_active("app-logs")
    fh.update_destination(DeliveryStreamName="app-logs", CurrentDeliveryStreamVersionId="1",
                          DestinationId="destinationId-000000000001",
                          ExtendedS3DestinationUpdate={"Prefix": "changed/"})
    server.restart()
    description = server.firehose().describe_delivery_stream(
        DeliveryStreamName="app-logs")["DeliveryStreamDescription"]
    # The config file does not recreate or overwrite a stream that exists.
    assert description["VersionId"] == "2"
    assert description["Destinations"][0]["ExtendedS3DestinationDescription"]["Prefix"] == "changed/"


@pytest.mark.parametrize("text, expected", [
    ("listen_port: 1\n", "unknown setting 'listen_port'"),
    ("streams:\n  - DeliveryStreamName: 'bad name!'\n"
     "    ExtendedS3DestinationConfiguration: {RoleARN: 'arn:aws:iam::123456789012:role/r', "
     "BucketARN: 'arn:aws:s3:::b'}\n", "regular expression pattern"),
    ("streams:\n  - DeliveryStreamName: s\n"
     "    ExtendedS3DestinationConfiguration: {RoleARN: 'arn:aws:iam::123456789012:role/r', "
     "BucketARN: 'arn:aws:s3:::b', CompressionFormat: gzip}\n", "enum value set"),
    ("streams: [\n", "config file"),
])
def test_invalid_config_file_stops_the_server_with_a_clear_error(hydrant_factory, tmp_path, text, expected):
    config = write_config(tmp_path, text)
    with pytest.raises(ServerStartError) as error:
        hydrant_factory(config_file=config)
    assert "exited with 2" in str(error.value)
    assert expected in str(error.value)


def test_bad_account_id_or_region_is_refused(tmp_path):
    for flag, value in [("--account-id", "12345"), ("--region", "Not A Region")]:
        result = subprocess.run([str(hydrant_binary()), "serve", "--listen", "127.0.0.1:0",
                                 "--data-dir", str(tmp_path / "d"), flag, value],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 2, result.stderr
        assert flag in result.stderr
