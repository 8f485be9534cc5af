"""The built-in processors end to end with boto3, against the service's documented behaviour:
AppendDelimiterToRecord, RecordDeAggregation (JSON, DELIMITED, KPL aggregates), Decompression with
CloudWatchLogProcessing, a Decompression failure, chains with a Node.js Lambda, and the validation
errors CreateDeliveryStream returns for a bad ProcessingConfiguration.

One server serves the whole module; every test uses its own bucket and stream.
"""
import base64
import gzip
import hashlib
import io
import json
import zipfile

import boto3
import pytest
from botocore.config import Config

import harness
from conftest import unique_name
from harness import wait_for

ROLE = "arn:aws:iam::123456789012:role/FirehoseDeliveryRole"
PREFIX = "out/"

# Upper-cases every record; a record reading "drop..." is Dropped.
NODE_UPPER = """
exports.handler = async (event) => ({
  records: event.records.map((r) => {
    const text = Buffer.from(r.data, 'base64').toString('utf8');
    return {
      recordId: r.recordId,
      result: text.startsWith('drop') ? 'Dropped' : 'Ok',
      data: Buffer.from(text.toUpperCase(), 'utf8').toString('base64'),
    };
  }),
});
"""


# ---- helpers -------------------------------------------------------------------------------

def param(name, value):
    return {"ParameterName": name, "ParameterValue": value}


APPEND = {"Type": "AppendDelimiterToRecord"}
DECOMPRESS = {"Type": "Decompression", "Parameters": [param("CompressionFormat", "GZIP")]}
CWL_EXTRACT = {"Type": "CloudWatchLogProcessing", "Parameters": [param("DataMessageExtraction", "true")]}


def deaggregation(sub_record_type, delimiter=None):
    parameters = [param("SubRecordType", sub_record_type)]
    if delimiter is not None:
        parameters.append(param("Delimiter", base64.b64encode(delimiter).decode()))
    return {"Type": "RecordDeAggregation", "Parameters": parameters}


def lambda_processor(server, function):
    return {"Type": "Lambda", "Parameters": [
        param("LambdaArn", f"arn:aws:lambda:{server.region}:{server.account_id}:function:{function}"),
        param("NumberOfRetries", "0")]}


def make_stream(server, processors):
    """A fresh bucket and an ExtendedS3 stream (1 s buffering) with these processors; returns
    (firehose client, stream name, bucket)."""
    bucket, name = unique_name("bkt"), unique_name("st")
    server.s3().create_bucket(Bucket=bucket)
    server.create_s3_stream(name, bucket, prefix=PREFIX, interval_s=1,
                            ProcessingConfiguration={"Enabled": True, "Processors": processors})
    return server.firehose(), name, bucket


def put(fh, name, records):
    response = fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": r} for r in records])
    assert response["FailedPutCount"] == 0, response


def is_error_key(key):
    # Data keys are out/yyyy/MM/dd/HH/...; error keys out/<error-output-type>/yyyy/...
    return key[len(PREFIX):].split("/", 1)[0].endswith("-failed")


def delivered(server, bucket, data_bytes, error_objects=0, timeout=30):
    """Waits until the data objects hold data_bytes and error_objects error objects exist; returns
    (concatenated data bytes in key order, {error key: [error documents]})."""

    def ready():
        try:
            objects = server.read_objects(bucket, PREFIX)
        except Exception:  # not there yet
            return None
        data = {k: v for k, v in objects.items() if not is_error_key(k)}
        errors = {k: v for k, v in objects.items() if is_error_key(k)}
        if sum(map(len, data.values())) < data_bytes or len(errors) < error_objects:
            return None
        return data, errors

    try:
        data, errors = wait_for(ready, timeout=timeout, interval=0.2,
                                message=f"{data_bytes} data bytes and {error_objects} error objects")
    except AssertionError as timed_out:
        raise AssertionError(f"{timed_out}; s3://{bucket}/{PREFIX} holds "
                             f"{server.read_objects(bucket, PREFIX)!r}") from None
    body = b"".join(data[k] for k in sorted(data))
    documents = {k: [json.loads(line) for line in v.splitlines() if line.strip()] for k, v in errors.items()}
    return body, documents


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field(number, wire_type, payload):
    """One protobuf field: key, then a varint (wire type 0) or a length-delimited payload (2)."""
    key = varint((number << 3) | wire_type)
    if wire_type == 0:
        return key + varint(payload)
    return key + varint(len(payload)) + payload


def kpl_aggregate(user_records):
    """A KPL aggregated record: magic, AggregatedRecord protobuf, MD5 of the protobuf.
    user_records: [(partition_key, data bytes)]."""
    keys = list(dict.fromkeys(k for k, _ in user_records))
    message = b"".join(field(1, 2, k.encode()) for k in keys)
    for key, data in user_records:
        record = field(1, 0, keys.index(key)) + field(3, 2, data)
        message += field(3, 2, record)
    return b"\xf3\x89\x9a\xc2" + message + hashlib.md5(message).digest()


def cwl_payload(message_type, messages=(), log_group="/aws/lambda/app"):
    """A CloudWatch Logs subscription payload, gzip'd as CloudWatch Logs sends it to Firehose."""
    body = {
        "messageType": message_type, "owner": "123456789012", "logGroup": log_group,
        "logStream": "2026/11/27/[$LATEST]abc", "subscriptionFilters": ["to-firehose"],
        "logEvents": [{"id": str(36000000000000000000000000000000000000000000000000000000 + i),
                       "timestamp": 1764250000000 + i, "message": m} for i, m in enumerate(messages)],
    }
    if message_type == "CONTROL_MESSAGE":
        body.update(owner="CloudwatchLogs", logGroup="", logStream="", subscriptionFilters=[],
                    logEvents=[{"id": "", "timestamp": 1764250000000,
                                "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}])
    return gzip.compress(json.dumps(body).encode())


@pytest.fixture(scope="module")
def node_upper(hydrant_module):
    """The Node.js function NODE_UPPER, deployed once for the module; yields its name."""
    client = boto3.session.Session().client(
        "lambda", endpoint_url=hydrant_module.endpoint, region_name=harness.DEFAULT_CLIENT_REGION,
        aws_access_key_id=harness.ACCESS_KEY, aws_secret_access_key=harness.SECRET_KEY,
        config=Config(connect_timeout=5, read_timeout=60, retries={"total_max_attempts": 1}))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.js", NODE_UPPER)
    name = unique_name("upper")
    client.create_function(FunctionName=name, Runtime="nodejs20.x", Role=ROLE, Handler="index.handler",
                           Timeout=10, Code={"ZipFile": buffer.getvalue()})
    return name


# ---- each processor ------------------------------------------------------------------------

def test_append_delimiter_adds_a_newline_to_every_record(hydrant_module):
    fh, name, bucket = make_stream(hydrant_module, [APPEND])
    put(fh, name, [b"one", b"two\n", b'{"k":3}'])
    expected = b'one\ntwo\n\n{"k":3}\n'
    body, errors = delivered(hydrant_module, bucket, len(expected))
    assert body == expected
    assert errors == {}


def test_json_deaggregation_splits_concatenated_objects(hydrant_module):
    fh, name, bucket = make_stream(hydrant_module, [deaggregation("JSON"), APPEND])
    put(fh, name, [b'{"a":1}{"a":2}', b'{"b":{"c":[1,2]}}\n{"b":"}{"}\n', b'{"single":true}'])
    expected = b'{"a":1}\n{"a":2}\n{"b":{"c":[1,2]}}\n{"b":"}{"}\n{"single":true}\n'
    body, errors = delivered(hydrant_module, bucket, len(expected))
    assert body == expected
    assert errors == {}


def test_delimited_deaggregation_splits_on_the_base64_delimiter(hydrant_module):
    processor = deaggregation("DELIMITED", b"####")
    assert processor["Parameters"][1]["ParameterValue"] == "IyMjIw=="
    fh, name, bucket = make_stream(hydrant_module, [processor, APPEND])
    put(fh, name, [b"alpha####beta####gamma", b"delta####", b"no delimiter here"])
    expected = b"alpha\nbeta\ngamma\ndelta\nno delimiter here\n"
    body, errors = delivered(hydrant_module, bucket, len(expected))
    assert body == expected
    assert errors == {}


def test_kpl_aggregated_records_are_expanded(hydrant_module):
    aggregate = kpl_aggregate([("pk-1", b'{"id":1}'), ("pk-2", b'{"id":2}{"id":3}'), ("pk-1", b'{"id":4}')])
    fh, name, bucket = make_stream(hydrant_module, [deaggregation("JSON"), APPEND])
    put(fh, name, [aggregate, b'{"id":5}'])
    expected = b'{"id":1}\n{"id":2}\n{"id":3}\n{"id":4}\n{"id":5}\n'
    body, errors = delivered(hydrant_module, bucket, len(expected))
    assert body == expected
    assert errors == {}


def test_cloudwatch_logs_payloads_deliver_each_message(hydrant_module):
    fh, name, bucket = make_stream(hydrant_module, [DECOMPRESS, CWL_EXTRACT, APPEND])
    put(fh, name, [
        cwl_payload("CONTROL_MESSAGE"),
        cwl_payload("DATA_MESSAGE", ["first line", '{"level":"info","msg":"second"}']),
        cwl_payload("DATA_MESSAGE", ["third"], log_group="/other"),
    ])
    # Only the messages: no envelope, nothing from the control message.
    expected = b'first line\n{"level":"info","msg":"second"}\nthird\n'
    body, errors = delivered(hydrant_module, bucket, len(expected))
    assert body == expected
    assert errors == {}


def test_data_message_extraction_false_delivers_the_whole_decompressed_payload(hydrant_module):
    fh, name, bucket = make_stream(hydrant_module, [
        DECOMPRESS, {"Type": "CloudWatchLogProcessing", "Parameters": [param("DataMessageExtraction", "false")]},
        APPEND])
    payload = cwl_payload("DATA_MESSAGE", ["m1", "m2"])
    put(fh, name, [payload])
    expected = gzip.decompress(payload) + b"\n"
    body, errors = delivered(hydrant_module, bucket, len(expected))
    assert body == expected
    assert errors == {}


def test_decompression_without_extraction_delivers_the_gunzipped_payload(hydrant_module):
    fh, name, bucket = make_stream(hydrant_module, [DECOMPRESS])
    # Two gzip members back to back are one gzip stream (RFC 1952).
    put(fh, name, [gzip.compress(b"hello "), gzip.compress(b"wor") + gzip.compress(b"ld")])
    expected = b"hello world"
    body, errors = delivered(hydrant_module, bucket, len(expected))
    assert body == expected
    assert errors == {}


def test_record_that_does_not_gunzip_goes_to_decompression_failed(hydrant_module):
    fh, name, bucket = make_stream(hydrant_module, [DECOMPRESS, APPEND])
    bad = b"this is not gzip"
    truncated = gzip.compress(b"cut short" * 20)[:-12]
    put(fh, name, [bad, gzip.compress(b"fine"), truncated])
    body, errors = delivered(hydrant_module, bucket, len(b"fine\n"), error_objects=1)
    assert body == b"fine\n"
    documents = [d for docs in errors.values() for d in docs]
    # The record is kept as is (still compressed), with an error code and message.
    assert [base64.b64decode(d["rawData"]) for d in documents] == [bad, truncated]
    for d in documents:
        assert d["errorCode"] and d["errorMessage"]
        assert isinstance(d["arrivalTimestamp"], int) and isinstance(d["attemptEndingTimestamp"], int)
    # The service files these under the decompression-failed error output type (decomp-faq).
    assert all(k.startswith(PREFIX + "decompression-failed/") for k in errors), sorted(errors)


# ---- chains with a Node.js function --------------------------------------------------------

def test_cloudwatch_logs_through_a_node_function(hydrant_module, node_upper):
    # Listed out of order on purpose: the service runs Decompression, CloudWatchLogProcessing,
    # Lambda, AppendDelimiterToRecord in its own fixed order.
    fh, name, bucket = make_stream(
        hydrant_module, [APPEND, lambda_processor(hydrant_module, node_upper), CWL_EXTRACT, DECOMPRESS])
    put(fh, name, [cwl_payload("DATA_MESSAGE", ["error: disk full", "drop me", "ok: résumé"]),
                   cwl_payload("CONTROL_MESSAGE")])
    expected = "ERROR: DISK FULL\nOK: RÉSUMÉ\n".encode()
    body, errors = delivered(hydrant_module, bucket, len(expected))
    assert body == expected
    assert errors == {}


def test_kpl_and_delimited_deaggregation_through_a_node_function(hydrant_module, node_upper):
    aggregate = kpl_aggregate([("k", b"a|b"), ("k", b"drop-this|c")])
    fh, name, bucket = make_stream(
        hydrant_module, [deaggregation("DELIMITED", b"|"), lambda_processor(hydrant_module, node_upper),
                         APPEND])
    put(fh, name, [aggregate, b"d|e|"])
    expected = b"A\nB\nC\nD\nE\n"
    body, errors = delivered(hydrant_module, bucket, len(expected))
    assert body == expected
    assert errors == {}


# ---- validation at CreateDeliveryStream ----------------------------------------------------

@pytest.mark.parametrize("processors, dynamic_partitioning, mentions", [
    # A parameter the type does not take.
    ([{"Type": "Decompression", "Parameters": [param("CompressionFormat", "GZIP"),
                                               param("SubRecordType", "JSON")]}], None, "SubRecordType"),
    ([{"Type": "AppendDelimiterToRecord", "Parameters": [param("LambdaArn", "arn:aws:lambda:us-east-1:"
                                                                           "123456789012:function:f")]}],
     None, "LambdaArn"),
    # A required parameter missing.
    ([{"Type": "RecordDeAggregation", "Parameters": [param("Delimiter", "IyMjIw==")]}], None, "SubRecordType"),
    ([deaggregation("DELIMITED")], None, "Delimiter"),
    ([{"Type": "Decompression", "Parameters": [param("CompressionFormat", "ZIP")]}], None, "CompressionFormat"),
    # CloudWatchLogProcessing needs Decompression.
    ([CWL_EXTRACT], None, "Decompression"),
    # MetadataExtraction needs dynamic partitioning.
    ([{"Type": "MetadataExtraction", "Parameters": [param("MetadataExtractionQuery", "{k:.k}"),
                                                    param("JsonParsingEngine", "JQ-1.6")]}],
     None, "MetadataExtraction"),
    ([{"Type": "MetadataExtraction", "Parameters": [param("MetadataExtractionQuery", "{k:.k}"),
                                                    param("JsonParsingEngine", "JQ-1.6")]}],
     {"Enabled": False}, "MetadataExtraction"),
], ids=["unknown-param", "lambda-param-on-append", "missing-subrecordtype", "delimited-without-delimiter",
        "bad-compression-format", "cwl-without-decompression", "metadata-without-dp",
        "metadata-with-dp-disabled"])
def test_invalid_processing_configuration_is_refused(hydrant_module, processors, dynamic_partitioning,
                                                     mentions):
    fh = hydrant_module.firehose(max_attempts=1)
    name = unique_name("bad")
    config = {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::anything", "Prefix": PREFIX,
              "ProcessingConfiguration": {"Enabled": True, "Processors": processors}}
    if dynamic_partitioning is not None:
        config["DynamicPartitioningConfiguration"] = dynamic_partitioning
    with pytest.raises(fh.exceptions.InvalidArgumentException) as error:
        fh.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration=config)
    assert mentions in error.value.response["Error"]["Message"]
    # Nothing was created.
    assert name not in fh.list_delivery_streams(Limit=10000)["DeliveryStreamNames"]
