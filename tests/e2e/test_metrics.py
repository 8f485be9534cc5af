"""GET /metrics: Prometheus text format with the service's CloudWatch metrics per stream.

Records are put with boto3; the counters must move by exactly what was sent, accepted, throttled
and delivered. The text is parsed by Debian's python3-prometheus-client and by a strict line
check of the 0.0.4 format written here (the client's parser is lenient about some mistakes).
"""
import re
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import unique_name
from harness import wait_for

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Every per-stream family, with its Prometheus type (docs/metrics.md has the CloudWatch names).
STREAM_FAMILIES = {
    "firehose_incoming_bytes_total": "counter",
    "firehose_incoming_records_total": "counter",
    "firehose_incoming_put_requests_total": "counter",
    "firehose_put_record_requests_total": "counter",
    "firehose_put_record_bytes_total": "counter",
    "firehose_put_record_batch_requests_total": "counter",
    "firehose_put_record_batch_records_total": "counter",
    "firehose_put_record_batch_bytes_total": "counter",
    "firehose_throttled_records_total": "counter",
    "firehose_delivery_to_s3_bytes_total": "counter",
    "firehose_delivery_to_s3_records_total": "counter",
    "firehose_delivery_to_s3_objects_total": "counter",
    "firehose_delivery_to_s3_successful_puts_total": "counter",
    "firehose_delivery_to_s3_failed_puts_total": "counter",
    "firehose_succeed_processing_records_total": "counter",
    "firehose_succeed_processing_bytes_total": "counter",
    "firehose_delivery_to_s3_data_freshness_seconds": "gauge",
    "firehose_backup_to_s3_bytes_total": "counter",
    "firehose_backup_to_s3_records_total": "counter",
    "firehose_partition_count": "gauge",
    "firehose_partition_count_exceeded_records_total": "counter",
    "hydrant_records_expired_total": "counter",
    "hydrant_records_dropped_total": "counter",
    "hydrant_records_processing_failed_total": "counter",
    "hydrant_records_delivery_failed_total": "counter",
    "hydrant_buffered_records": "gauge",
    "hydrant_buffered_bytes": "gauge",
    "hydrant_wal_retained_bytes": "gauge",
}

METRIC_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_PAIR = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*"'
SAMPLE_RE = re.compile(rf"^({METRIC_NAME})(\{{{LABEL_PAIR}(?:,{LABEL_PAIR})*\}})? (\S+)$")
HELP_RE = re.compile(rf"^# HELP ({METRIC_NAME}) (.*)$")
TYPE_RE = re.compile(rf"^# TYPE ({METRIC_NAME}) (counter|gauge|histogram|summary|untyped)$")


def strict_check(text):
    """Checks the 0.0.4 text format line by line; returns {family: type}."""
    assert text.endswith("\n"), "the last line ends with a line feed"
    types, helps, seen_samples, finished = {}, set(), set(), set()
    current = None
    for line in text.splitlines():
        assert line, "no empty lines"
        if line.startswith("#"):
            if m := HELP_RE.match(line):
                assert m.group(1) not in helps, f"one HELP per family: {line}"
                helps.add(m.group(1))
                assert m.group(2).strip(), f"HELP has text: {line}"
            elif m := TYPE_RE.match(line):
                name = m.group(1)
                assert name not in types, f"one TYPE per family: {line}"
                assert name not in seen_samples, f"TYPE comes before the family's samples: {line}"
                types[name] = m.group(2)
            else:
                pytest.fail(f"unexpected comment line: {line!r}")
            continue
        m = SAMPLE_RE.match(line)
        assert m, f"not a sample line: {line!r}"
        name, labels, value = m.groups()
        float(value)  # a Go-parsable float
        assert name in types, f"sample of an undeclared family: {line}"
        if name != current:
            assert name not in finished, f"a family's samples are contiguous: {name}"
            if current:
                finished.add(current)
            current = name
        key = (name, labels)
        assert key not in seen_samples, f"duplicate sample: {line}"
        seen_samples.add(key)
    assert set(types) == helps, "every family has HELP and TYPE"
    return types


def scrape(server):
    with urllib.request.urlopen(server.endpoint + "/metrics", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == CONTENT_TYPE
        text = response.read().decode()
    strict_check(text)
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            stream = sample.labels.get("delivery_stream")
            values.setdefault(stream, {})[sample.name] = sample.value
    return text, values


def stream_metrics(server, name):
    _, values = scrape(server)
    return values.get(name)


def test_format_and_families(hydrant):
    text, values = scrape(hydrant)
    types = strict_check(text)
    for family, kind in STREAM_FAMILIES.items():
        assert types[family] == kind
    # Every HELP line quotes the CloudWatch name it stands for.
    assert "# HELP firehose_delivery_to_s3_bytes_total CloudWatch DeliveryToS3.Bytes:" in text
    assert "# HELP firehose_throttled_records_total CloudWatch ThrottledRecords:" in text
    assert types["hydrant_disk_budget_cap_bytes"] == "gauge"
    assert values[None]["hydrant_disk_budget_cap_bytes"] == 10 * 1024**3  # the default cap

    bucket, name = unique_name("b"), unique_name("st")
    hydrant.s3().create_bucket(Bucket=bucket)
    hydrant.create_s3_stream(name, bucket)
    metrics = stream_metrics(hydrant, name)
    assert set(metrics) == set(STREAM_FAMILIES), "a new stream has every family"
    # Everything starts at 0 but the log's size (its segment header).
    assert {k: v for k, v in metrics.items() if v != 0}.keys() <= {"hydrant_wal_retained_bytes"}, metrics

    # A deleted stream's series disappear.
    hydrant.firehose().delete_delivery_stream(DeliveryStreamName=name)
    assert stream_metrics(hydrant, name) is None


@pytest.mark.parametrize("cache_mb", [64, 0])
def test_delivery_reads_its_records_back_from_the_read_cache(hydrant_factory, cache_mb):
    """--wal-read-cache-mb: with the default cache a lane reads what was just acknowledged from
    memory, not from the log files; with 0 there is no cache and its families stay 0."""
    server = hydrant_factory(extra_args=["--wal-read-cache-mb", str(cache_mb)])
    bucket, name = unique_name("b"), unique_name("st")
    server.s3().create_bucket(Bucket=bucket)
    server.create_s3_stream(name, bucket, size_mb=1, interval_s=900)
    records = [bytes([65 + i % 26]) * 1000 for i in range(1100)]  # 1.1 MB: one 1 MiB object
    fh = server.firehose()
    for i in range(0, len(records), 500):
        response = fh.put_record_batch(DeliveryStreamName=name,
                                       Records=[{"Data": d} for d in records[i:i + 500]])
        assert response["FailedPutCount"] == 0
    server.wait_objects(bucket, total_bytes=1_000_000)
    _, values = scrape(server)
    cache = values[None]
    if cache_mb:
        assert cache["hydrant_wal_read_cache_hit_bytes_total"] >= 1_000_000, cache
        assert cache["hydrant_wal_read_cache_miss_bytes_total"] == 0, cache
        assert 1_000_000 <= cache["hydrant_wal_read_cache_bytes"] <= cache_mb << 20, cache
    else:
        assert cache["hydrant_wal_read_cache_hit_bytes_total"] == 0, cache
        assert cache["hydrant_wal_read_cache_bytes"] == 0, cache


def test_counters_follow_puts_and_delivery(hydrant):
    bucket, name = unique_name("b"), unique_name("st")
    hydrant.s3().create_bucket(Bucket=bucket)
    # 1 MiB / 900 s: only the size hint delivers, so the test decides when.
    hydrant.create_s3_stream(name, bucket, size_mb=1, interval_s=900)
    fh = hydrant.firehose()

    first = b"first record\n"
    fh.put_record(DeliveryStreamName=name, Record={"Data": first})
    time.sleep(1.2)
    metrics = stream_metrics(hydrant, name)
    assert metrics["firehose_put_record_requests_total"] == 1
    assert metrics["firehose_put_record_bytes_total"] == len(first)
    assert metrics["firehose_incoming_records_total"] == 1
    assert metrics["firehose_incoming_bytes_total"] == len(first)
    assert metrics["firehose_incoming_put_requests_total"] == 1
    assert metrics["hydrant_buffered_records"] == 1
    assert metrics["hydrant_buffered_bytes"] == len(first)
    assert metrics["hydrant_wal_retained_bytes"] > len(first)
    assert metrics["firehose_delivery_to_s3_data_freshness_seconds"] >= 1.0, "the record has waited > 1 s"
    assert metrics["firehose_delivery_to_s3_records_total"] == 0

    # Fill the 1 MiB buffer exactly: one object with every record.
    rest = (1 << 20) - len(first)
    batch = [b"a" * (rest // 2), b"b" * (rest - rest // 2)]
    response = fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": d} for d in batch])
    assert response["FailedPutCount"] == 0
    objects = hydrant.wait_objects(bucket, total_bytes=1 << 20)
    assert len(objects) == 1

    def delivered():
        m = stream_metrics(hydrant, name)
        return m if m["firehose_delivery_to_s3_records_total"] == 3 else None

    metrics = wait_for(delivered, timeout=10, message="DeliveryToS3.Records == 3")
    assert metrics["firehose_put_record_batch_requests_total"] == 1
    assert metrics["firehose_put_record_batch_records_total"] == 2
    assert metrics["firehose_put_record_batch_bytes_total"] == rest
    assert metrics["firehose_incoming_records_total"] == 3
    assert metrics["firehose_incoming_bytes_total"] == 1 << 20
    assert metrics["firehose_incoming_put_requests_total"] == 2
    assert metrics["firehose_throttled_records_total"] == 0
    assert metrics["firehose_delivery_to_s3_bytes_total"] == 1 << 20
    assert metrics["firehose_delivery_to_s3_objects_total"] == 1
    assert metrics["firehose_delivery_to_s3_successful_puts_total"] == 1
    assert metrics["firehose_delivery_to_s3_failed_puts_total"] == 0
    assert metrics["firehose_delivery_to_s3_data_freshness_seconds"] == 0
    assert metrics["hydrant_buffered_records"] == 0
    assert metrics["hydrant_buffered_bytes"] == 0
    # No processors: nothing counted as processed.
    assert metrics["firehose_succeed_processing_records_total"] == 0


@pytest.mark.parametrize("how", ["SIGTERM", "kill -9"])
def test_disk_budget_counts_only_undelivered_data_across_restarts(hydrant, how):
    """Delivered records stay in the log's current segment until it rolls; they must not count
    against the budget, neither while running nor after a restart."""
    bucket, name = unique_name("b"), unique_name("st")
    hydrant.s3().create_bucket(Bucket=bucket)
    hydrant.create_s3_stream(name, bucket, size_mb=1, interval_s=1)
    response = hydrant.firehose().put_record_batch(
        DeliveryStreamName=name, Records=[{"Data": b"x" * 1000} for _ in range(200)])
    assert response["FailedPutCount"] == 0
    hydrant.wait_objects(bucket, total_bytes=200_000)

    def settled():
        _, values = scrape(hydrant)
        return values if values[None]["hydrant_disk_budget_used_bytes"] == 0 else None

    values = wait_for(settled, timeout=10, message="the budget to give delivered bytes back")
    assert values[name]["hydrant_wal_retained_bytes"] > 200_000, "the delivered records are still in the log"

    if how == "kill -9":
        hydrant.kill()
    hydrant.restart()
    _, values = scrape(hydrant)
    assert values[name]["hydrant_wal_retained_bytes"] > 200_000
    assert values[None]["hydrant_disk_budget_used_bytes"] == 0, "delivered data counted again after a restart"

    # What is put after the restart is counted, and leaves once delivered.
    hydrant.firehose().put_record(DeliveryStreamName=name, Record={"Data": b"y" * 500})
    _, values = scrape(hydrant)
    assert values[None]["hydrant_disk_budget_used_bytes"] >= 500
    hydrant.wait_objects(bucket, total_bytes=200_500, count=2)
    wait_for(settled, timeout=10, message="the budget to give the new record back")


def test_throttling_and_failed_puts(hydrant_factory):
    server = hydrant_factory(max_buffered_bytes=20_000)
    fh = server.firehose(max_attempts=1)
    bucket = unique_name("late-bucket")  # not created yet: every S3 put fails
    name = unique_name("st")
    server.create_s3_stream(name, bucket, size_mb=1, interval_s=1)

    records = [{"Data": b"%04d" % i + b"." * 995 + b"\n"} for i in range(40)]  # 1000 bytes each
    response = fh.put_record_batch(DeliveryStreamName=name, Records=records)
    failed = response["FailedPutCount"]
    accepted = 40 - failed
    assert 0 < accepted < 40, response["FailedPutCount"]
    with pytest.raises(fh.exceptions.ServiceUnavailableException):
        fh.put_record(DeliveryStreamName=name, Record={"Data": b"x" * 5000})

    metrics = stream_metrics(server, name)
    assert metrics["firehose_put_record_batch_records_total"] == 40
    assert metrics["firehose_put_record_batch_bytes_total"] == 40_000
    assert metrics["firehose_put_record_requests_total"] == 1
    assert metrics["firehose_put_record_bytes_total"] == 5000
    assert metrics["firehose_throttled_records_total"] == failed + 1
    assert metrics["firehose_incoming_records_total"] == accepted
    assert metrics["firehose_incoming_bytes_total"] == 1000 * accepted
    assert metrics["firehose_incoming_put_requests_total"] == 1, "the refused PutRecord stored nothing"
    _, values = scrape(server)
    assert values[None]["hydrant_disk_budget_used_bytes"] > 1000 * accepted
    assert values[None]["hydrant_disk_budget_cap_bytes"] == 20_000

    # The bucket is missing: the first S3 put fails (retried after 1 s), the data stays buffered.
    metrics = wait_for(lambda: (m := stream_metrics(server, name))["firehose_delivery_to_s3_failed_puts_total"] >= 1
                       and m, timeout=10, message="a failed S3 put")
    assert metrics["firehose_delivery_to_s3_successful_puts_total"] == 0
    assert metrics["hydrant_buffered_records"] == accepted
    assert metrics["firehose_delivery_to_s3_data_freshness_seconds"] > 0

    server.s3().create_bucket(Bucket=bucket)
    server.wait_objects(bucket, total_bytes=1000 * accepted, timeout=30)

    def delivered():
        m = stream_metrics(server, name)
        return m if m["firehose_delivery_to_s3_records_total"] == accepted else None

    metrics = wait_for(delivered, timeout=10, message="every accepted record counted as delivered")
    assert metrics["firehose_delivery_to_s3_bytes_total"] == 1000 * accepted
    assert metrics["firehose_delivery_to_s3_successful_puts_total"] == metrics["firehose_delivery_to_s3_objects_total"] >= 1
    assert metrics["firehose_delivery_to_s3_failed_puts_total"] >= 1
    assert metrics["firehose_delivery_to_s3_data_freshness_seconds"] == 0
    assert metrics["hydrant_buffered_records"] == 0


def test_processing_counters(hydrant):
    bucket, name = unique_name("b"), unique_name("st")
    hydrant.s3().create_bucket(Bucket=bucket)
    hydrant.create_s3_stream(name, bucket, size_mb=1, interval_s=1, ProcessingConfiguration={
        "Enabled": True,
        "Processors": [{"Type": "AppendDelimiterToRecord"}],
    })
    data = [b"one", b"two", b"three"]
    hydrant.firehose().put_record_batch(DeliveryStreamName=name, Records=[{"Data": d} for d in data])
    expected_bytes = sum(len(d) + 1 for d in data)  # each gets a "\n"
    hydrant.wait_objects(bucket, total_bytes=expected_bytes)

    def delivered():
        m = stream_metrics(hydrant, name)
        return m if m["firehose_delivery_to_s3_records_total"] == 3 else None

    metrics = wait_for(delivered, timeout=10, message="DeliveryToS3.Records == 3")
    assert metrics["firehose_succeed_processing_records_total"] == 3
    assert metrics["firehose_succeed_processing_bytes_total"] == expected_bytes
    assert metrics["firehose_delivery_to_s3_bytes_total"] == expected_bytes
    assert metrics["firehose_incoming_bytes_total"] == sum(map(len, data))


def test_other_paths_stay_s3(hydrant):
    # Only GET /metrics is the metrics page; a request signed for S3 is S3 (a bucket may be
    # called "metrics"), and unknown paths keep S3's 404.
    response = hydrant.raw(method="GET", path="/metrics", service="s3", region="us-east-1")
    assert response.status == 404 and b"NoSuchBucket" in response.body, response
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(hydrant.endpoint + "/metrics-nope", timeout=10)
    assert error.value.code == 404
    assert b"NoSuchBucket" in error.value.read()
