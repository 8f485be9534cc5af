"""CompressionFormat: delivered objects read back with standard tools, byte for byte."""
import gzip
import hashlib
import subprocess

import pytest

ROLE = "arn:aws:iam::123456789012:role/FirehoseDeliveryRole"
RECORDS = [b'{"n":%d,"user":"u%d","action":"login"}\n' % (i, i % 7) for i in range(2000)]


def snappy_decode(data, hadoop):
    """Decodes with Debian's python3-snappy (an independent implementation)."""
    script = ("import sys, io, snappy\n"
              "from snappy import hadoop_snappy\n"
              "data = sys.stdin.buffer.read()\n"
              "if sys.argv[1] == 'hadoop':\n"
              "    out = io.BytesIO(); hadoop_snappy.stream_decompress(io.BytesIO(data), out)\n"
              "    sys.stdout.buffer.write(out.getvalue())\n"
              "else:\n"
              "    assert data[:8] == b'\\x82SNAPPY\\x00', data[:16]\n"
              "    pos, out = 16, b''\n"
              "    while pos < len(data):\n"
              "        n = int.from_bytes(data[pos:pos + 4], 'big'); pos += 4\n"
              "        out += snappy.uncompress(data[pos:pos + n]); pos += n\n"
              "    sys.stdout.buffer.write(out)\n")
    result = subprocess.run(["/usr/bin/python3", "-c", script, "hadoop" if hadoop else "xerial"],
                            input=data, capture_output=True, check=True)
    return result.stdout


def decode(fmt, data, tmp_path):
    if fmt == "GZIP":
        return subprocess.run(["gunzip", "-c"], input=data, capture_output=True, check=True).stdout
    if fmt == "ZIP":
        path = tmp_path / "object.zip"
        path.write_bytes(data)
        return subprocess.run(["unzip", "-p", str(path)], capture_output=True, check=True).stdout
    return snappy_decode(data, hadoop=fmt == "HADOOP_SNAPPY")


# Content-Encoding as probes of the real service saw it on delivered objects; Content-Type is
# application/octet-stream for every format.
@pytest.mark.parametrize("fmt, extension, encoding", [
    ("GZIP", ".gz", "gzip"), ("ZIP", ".zip", "zip"), ("Snappy", ".snappy", "snappy-java"),
    ("HADOOP_SNAPPY", ".snappy", "hadoop-snappy")])
def test_compressed_objects_decode_to_the_records(hydrant, tmp_path, fmt, extension, encoding):
    hydrant.s3().create_bucket(Bucket="bkt")
    fh = hydrant.firehose()
    fh.create_delivery_stream(DeliveryStreamName="s", ExtendedS3DestinationConfiguration={
        "RoleARN": ROLE, "BucketARN": "arn:aws:s3:::bkt", "Prefix": "out/",
        "CompressionFormat": fmt, "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1}})
    hydrant.wait_active("s")
    for start in range(0, len(RECORDS), 500):
        fh.put_record_batch(DeliveryStreamName="s",
                            Records=[{"Data": r} for r in RECORDS[start:start + 500]])
    objects = hydrant.wait_objects("bkt", prefix="out/", count=1, timeout=30)
    (key, body), = objects.items()
    assert key.endswith(extension), key
    assert body != b"".join(RECORDS)
    assert decode(fmt, body, tmp_path) == b"".join(RECORDS)
    head = hydrant.s3().head_object(Bucket="bkt", Key=key)
    assert head["ContentEncoding"] == encoding
    assert head["ContentType"] == "application/octet-stream"
    assert head["ETag"] == '"%s"' % hashlib.md5(body).hexdigest()  # S3's ETag: the stored bytes' MD5
    got = hydrant.s3().get_object(Bucket="bkt", Key=key)
    assert got["ContentEncoding"] == encoding
    assert got["Body"].read() == body  # the stored bytes, not decoded on the way


def test_uncompressed_objects_have_no_content_encoding(hydrant):
    hydrant.s3().create_bucket(Bucket="bkt")
    fh = hydrant.firehose()
    fh.create_delivery_stream(DeliveryStreamName="s", ExtendedS3DestinationConfiguration={
        "RoleARN": ROLE, "BucketARN": "arn:aws:s3:::bkt",
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1}})
    hydrant.wait_active("s")
    fh.put_record(DeliveryStreamName="s", Record={"Data": b"plain\n"})
    (key, body), = hydrant.wait_objects("bkt", count=1, timeout=30).items()
    assert body == b"plain\n"
    head = hydrant.s3().head_object(Bucket="bkt", Key=key)
    assert "ContentEncoding" not in head
    assert head["ContentType"] == "application/octet-stream"
    assert head["ETag"] == '"%s"' % hashlib.md5(body).hexdigest()


def test_file_extension_overrides_the_default(hydrant):
    hydrant.s3().create_bucket(Bucket="bkt")
    fh = hydrant.firehose()
    fh.create_delivery_stream(DeliveryStreamName="s", ExtendedS3DestinationConfiguration={
        "RoleARN": ROLE, "BucketARN": "arn:aws:s3:::bkt", "CompressionFormat": "GZIP",
        "FileExtension": ".json.gz", "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1}})
    hydrant.wait_active("s")
    fh.put_record(DeliveryStreamName="s", Record={"Data": b'{"a":1}\n'})
    (key, body), = hydrant.wait_objects("bkt", count=1, timeout=30).items()
    assert key.endswith(".json.gz"), key
    assert gzip.decompress(body) == b'{"a":1}\n'
