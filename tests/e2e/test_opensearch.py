"""OpenSearch destinations: what the cluster receives, and what happens to what it refuses.

No OpenSearch, Elasticsearch or OpenSearch Serverless can run on this machine (none is packaged in
Debian or npm, and they cannot be built offline): the cluster is tests/e2e/opensearch_receiver.py,
written from the public OpenSearch REST API reference and checked against the official client's
types. No real server ran in these tests.
"""
import base64
import datetime
import json
import re
import shutil
import subprocess
import time
import urllib.request
import zipfile

import pytest

from conftest import unique_name
from harness import REPO_ROOT, wait_for
from opensearch_receiver import TEST_ACCESS_KEY, TEST_SECRET_KEY, OpenSearchReceiver

ROLE = "arn:aws:iam::123456789012:role/FirehoseDeliveryRole"
DOMAIN_ARN = "arn:aws:es:us-east-1:123456789012:domain/logs"
JS_DIR = REPO_ROOT / "tests" / "js"
FAILED_KEY = re.compile(r"^AmazonOpenSearchService-failed/\d{4}/\d{2}/\d{2}/\d{2}/")


@pytest.fixture
def cluster():
    with OpenSearchReceiver() as receiver:
        yield receiver


def destination(bucket, *, endpoint=None, domain_arn=None, index="logs", rotation="OneDay", retry_seconds=60,
                backup_mode="FailedDocumentsOnly", extra=None):
    config = {
        "RoleARN": ROLE,
        "IndexName": index,
        "IndexRotationPeriod": rotation,
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1},
        "RetryOptions": {"DurationInSeconds": retry_seconds},
        "S3BackupMode": backup_mode,
        "S3Configuration": {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
                            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}},
    }
    if domain_arn:
        config["DomainARN"] = domain_arn
    else:
        config["ClusterEndpoint"] = endpoint
    config.update(extra or {})
    return config


def create(server, config, member="AmazonopensearchserviceDestinationConfiguration"):
    name, bucket = unique_name("os"), config["S3Configuration"]["BucketARN"].split(":::")[1]
    server.s3().create_bucket(Bucket=bucket)
    server.firehose().create_delivery_stream(DeliveryStreamName=name, **{member: config})
    server.wait_active(name)
    return name


def today_index(name="logs"):
    return name + datetime.datetime.now(datetime.timezone.utc).strftime("-%Y-%m-%d")


def put(server, name, docs):
    response = server.firehose().put_record_batch(
        DeliveryStreamName=name, Records=[{"Data": (d if isinstance(d, bytes) else json.dumps(d).encode()) + b"\n"}
                                          for d in docs])
    assert response["FailedPutCount"] == 0


def failed_documents(server, bucket):
    objects = server.read_objects(bucket)
    return [json.loads(line) for key, body in sorted(objects.items()) if FAILED_KEY.match(key)
            for line in body.decode().splitlines() if line.strip()]


def test_records_become_documents_with_stable_ids_and_describe(hydrant, cluster):
    bucket = unique_name("b")
    name = create(hydrant, destination(bucket, endpoint=cluster.url))
    docs = [{"n": i, "msg": f"event {i}"} for i in range(50)]
    put(hydrant, name, docs)
    cluster.wait_for_documents(50, index=today_index())
    stored = cluster.documents(today_index())
    assert sorted(d["n"] for d in stored.values()) == list(range(50))
    assert len(set(stored)) == 50 and all(re.fullmatch(r"[0-9a-f]{12}-\d+\.0", i) for i in stored)
    bulk = cluster.requests[-1]
    assert bulk["path"] == "/_bulk" and bulk["headers"]["content-type"] == "application/x-ndjson"

    description = hydrant.firehose().describe_delivery_stream(DeliveryStreamName=name)[
        "DeliveryStreamDescription"]["Destinations"][0]["AmazonopensearchserviceDestinationDescription"]
    assert description["ClusterEndpoint"] == cluster.url
    assert description["IndexRotationPeriod"] == "OneDay"
    assert description["DocumentIdOptions"] == {"DefaultDocumentIdFormat": "FIREHOSE_DEFAULT"}
    assert description["S3BackupMode"] == "FailedDocumentsOnly"
    metrics = urllib.request.urlopen(hydrant.endpoint + "/metrics").read().decode()
    assert re.search(r'firehose_delivery_to_amazon_opensearch_service_records_total\{[^}]*stream="%s"[^}]*\} 50' % name,
                     metrics)
    assert failed_documents(hydrant, bucket) == []

    # UpdateDestination: a new index name and rotation, merged into the stored configuration.
    version = hydrant.firehose().describe_delivery_stream(DeliveryStreamName=name)[
        "DeliveryStreamDescription"]["VersionId"]
    hydrant.firehose().update_destination(
        DeliveryStreamName=name, CurrentDeliveryStreamVersionId=version, DestinationId="destinationId-000000000001",
        AmazonopensearchserviceDestinationUpdate={"IndexName": "events", "IndexRotationPeriod": "NoRotation"})
    updated = hydrant.firehose().describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    described = updated["Destinations"][0]["AmazonopensearchserviceDestinationDescription"]
    assert (described["IndexName"], described["IndexRotationPeriod"], described["ClusterEndpoint"]) == \
        ("events", "NoRotation", cluster.url)
    put(hydrant, name, [{"after": "update"}])
    cluster.wait_for_documents(1, index="events")


def test_only_refused_items_are_sent_again_and_permanent_ones_go_to_s3(hydrant, cluster):
    bucket = unique_name("b")
    name = create(hydrant, destination(bucket, endpoint=cluster.url))
    cluster.fail_items("needs-retry", status=429, times=2)   # busy twice, then indexed
    cluster.fail_items("bad-mapping", status=400)            # refused for good
    docs = [{"n": 0}, {"n": 1, "tag": "needs-retry"}, {"n": 2, "tag": "bad-mapping"}, {"n": 3, "tag": "needs-retry"}]
    put(hydrant, name, docs)
    put(hydrant, name, [b"this record is not JSON"])
    cluster.wait_for_documents(3, index=today_index(), timeout=30)
    assert sorted(d["n"] for d in cluster.documents(today_index()).values()) == [0, 1, 3]
    # The retry carried the two busy documents only.
    item_counts = [len(b["items"] or []) for b in cluster.bulk_requests]
    assert 2 in item_counts[1:], item_counts

    failed = wait_for(lambda: len(failed_documents(hydrant, bucket)) == 2 and failed_documents(hydrant, bucket),
                      timeout=20, message="the two refused documents in S3")
    assert [list(f) for f in failed][0] == ["attemptsMade", "arrivalTimestamp", "errorCode", "errorMessage",
                                            "attemptEndingTimestamp", "esDocumentId", "esIndexName",
                                            "esTypeName", "rawData"]
    by_data = {base64.b64decode(f["rawData"]): f for f in failed}
    mapping = by_data[json.dumps(docs[2]).encode() + b"\n"]
    assert mapping["errorCode"] == "400" and "mapper_parsing_exception" in mapping["errorMessage"]
    assert mapping["esIndexName"] == today_index() and mapping["esTypeName"] is None
    assert re.fullmatch(r"[0-9a-f]{12}-\d+\.0", mapping["esDocumentId"])
    assert by_data[b"this record is not JSON\n"]["errorCode"] == "400"


def test_the_legacy_elasticsearch_type_writes_refused_documents_under_elasticsearch_failed(hydrant, cluster):
    bucket = unique_name("b")
    name = create(hydrant, destination(bucket, endpoint=cluster.url, extra={"TypeName": "_doc"}),
                  member="ElasticsearchDestinationConfiguration")
    cluster.fail_items("bad-mapping", status=400)
    put(hydrant, name, [{"n": 0}, {"n": 1, "tag": "bad-mapping"}])
    cluster.wait_for_documents(1, index=today_index(), timeout=30)

    def failed():
        objects = hydrant.read_objects(bucket)
        return {k: v for k, v in objects.items() if k.startswith("elasticsearch-failed/")} or None

    key, body = next(iter(wait_for(failed, timeout=20, message="the refused document in S3").items()))
    assert re.match(r"^elasticsearch-failed/\d{4}/\d{2}/\d{2}/\d{2}/", key)
    document = json.loads(body.decode().splitlines()[0])
    assert document["errorCode"] == "400" and document["esTypeName"] == "_doc"
    assert document["esIndexName"] == today_index()
    assert base64.b64decode(document["rawData"]) == json.dumps({"n": 1, "tag": "bad-mapping"}).encode() + b"\n"
    assert not any(k.startswith("AmazonOpenSearchService-failed/") for k in hydrant.read_objects(bucket))


def test_a_cluster_that_is_down_is_waited_for_and_nothing_is_indexed_twice(hydrant, cluster):
    bucket = unique_name("b")
    name = create(hydrant, destination(bucket, endpoint=cluster.url))
    cluster.outage(True)
    put(hydrant, name, [{"n": i} for i in range(20)])
    wait_for(lambda: len(cluster.requests) >= 2, timeout=20, message="attempts during the outage")
    cluster.outage(False)
    cluster.wait_for_documents(20, index=today_index(), timeout=30)
    time.sleep(1.5)
    assert len(cluster.documents(today_index())) == 20
    assert failed_documents(hydrant, bucket) == []


def test_after_the_retry_window_the_documents_go_to_s3(hydrant, cluster):
    bucket = unique_name("b")
    name = create(hydrant, destination(bucket, endpoint=cluster.url, retry_seconds=0))
    cluster.fail_requests(503, times=1000)
    put(hydrant, name, [{"n": i} for i in range(5)])
    failed = wait_for(lambda: len(failed_documents(hydrant, bucket)) == 5 and failed_documents(hydrant, bucket),
                      timeout=30, message="five documents in S3")
    assert {f["errorCode"] for f in failed} == {"OS.ServiceException"}
    assert cluster.documents(today_index()) == {}


def test_a_kill_during_an_answered_bulk_overwrites_instead_of_duplicating(hydrant, cluster):
    """The cluster indexes the batch but answers late; Hydrant is killed meanwhile. After the
    restart the same batch is sent again with the same ids: the count stays exact."""
    bucket = unique_name("b")
    name = create(hydrant, destination(bucket, endpoint=cluster.url))
    cluster.set_delay(5, times=1)
    put(hydrant, name, [{"n": i} for i in range(30)])
    cluster.wait_for_documents(30, index=today_index(), timeout=20)  # stored, not answered yet
    assert hydrant.kill() == -9
    cluster.set_delay(0)
    hydrant.restart()
    wait_for(lambda: len(cluster.bulk_requests) >= 2, timeout=30, message="the batch sent again")
    time.sleep(1)
    stored = cluster.documents(today_index())
    assert len(stored) == 30 and sorted(d["n"] for d in stored.values()) == list(range(30))
    some_id = sorted(stored)[0]
    got = json.load(urllib.request.urlopen(f"{cluster.url}/{today_index()}/_doc/{some_id}"))
    assert got["_version"] == 2  # overwritten by the second delivery, not a second document


def test_all_documents_backup_and_rotation_and_no_document_id(hydrant, cluster):
    bucket = unique_name("b")
    name = create(hydrant, destination(bucket, endpoint=cluster.url, rotation="OneMonth", backup_mode="AllDocuments",
                                       extra={"DocumentIdOptions": {"DefaultDocumentIdFormat": "NO_DOCUMENT_ID"}}))
    put(hydrant, name, [{"n": i} for i in range(10)])
    month = "logs" + datetime.datetime.now(datetime.timezone.utc).strftime("-%Y-%m")
    cluster.wait_for_documents(10, index=month)
    assert all(len(i) == 20 for i in cluster.documents(month))  # ids the cluster made
    backup = wait_for(lambda: (o := {k: v for k, v in hydrant.read_objects(bucket).items() if not FAILED_KEY.match(k)})
                      and o, timeout=90, message="the AllDocuments backup")
    assert b"".join(backup.values()).count(b'"n"') == 10


def test_domain_arn_with_basic_auth_and_sigv4_from_the_config(hydrant_factory, tmp_path):
    with OpenSearchReceiver(username="admin", password="s3cret") as basic, \
            OpenSearchReceiver(sigv4_service="es") as signed, \
            OpenSearchReceiver(sigv4_service="aoss") as serverless:
        config = tmp_path / "hydrant.yaml"
        config.write_text(json.dumps({"opensearch_domains": [
            {"domain_arn": DOMAIN_ARN, "endpoint": basic.url, "username": "admin", "password": "s3cret"},
            {"endpoint": signed.url, "sigv4": {"service": "es", "region": "us-east-1",
                                               "access_key_id": TEST_ACCESS_KEY, "secret_access_key": TEST_SECRET_KEY}},
            {"endpoint": serverless.url, "sigv4": {"service": "aoss", "region": "us-east-1",
                                                   "access_key_id": TEST_ACCESS_KEY,
                                                   "secret_access_key": TEST_SECRET_KEY}}]}))
        server = hydrant_factory(config_file=config)
        by_domain = create(server, destination(unique_name("b"), domain_arn=DOMAIN_ARN))
        by_sigv4 = create(server, destination(unique_name("b"), endpoint=signed.url, extra={"TypeName": "_doc"}),
                          member="ElasticsearchDestinationConfiguration")
        serverless_config = destination(unique_name("b"), endpoint=serverless.url)
        for member in ("ClusterEndpoint", "IndexRotationPeriod"):
            serverless_config.pop(member)
        serverless_config["CollectionEndpoint"] = serverless.url
        by_aoss = create(server, serverless_config, member="AmazonOpenSearchServerlessDestinationConfiguration")
        for name in (by_domain, by_sigv4, by_aoss):
            put(server, name, [{"stream": name}])
        basic.wait_for_documents(1, index=today_index())
        signed.wait_for_documents(1, index=today_index())
        serverless.wait_for_documents(1, index="logs")  # Serverless has no rotation
        for receiver in (basic, signed, serverless):
            assert all(r["outcome"] == "ok" for r in receiver.requests), receiver.requests
        assert signed.bulk_requests[0]["items"][0]["_type"] == "_doc"

        description = server.firehose().describe_delivery_stream(DeliveryStreamName=by_domain)[
            "DeliveryStreamDescription"]["Destinations"][0]["AmazonopensearchserviceDestinationDescription"]
        assert description["DomainARN"] == DOMAIN_ARN and "ClusterEndpoint" not in description


def test_a_lambda_processor_before_the_cluster(hydrant, cluster, tmp_path):
    package = tmp_path / "fn.zip"
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("fn.py", "import base64, json\n"
                            "def handler(event, context):\n"
                            "    out = []\n"
                            "    for r in event['records']:\n"
                            "        doc = json.loads(base64.b64decode(r['data']))\n"
                            "        doc['enriched'] = True\n"
                            "        out.append({'recordId': r['recordId'], 'result': 'Ok',\n"
                            "                    'data': base64.b64encode(json.dumps(doc).encode()).decode()})\n"
                            "    return {'records': out}\n")
    result = hydrant.aws("lambda", "create-function", "--function-name", "enrich", "--runtime", "python3.11",
                         "--handler", "fn.handler", "--role", ROLE, "--zip-file", f"fileb://{package}")
    assert result.returncode == 0, result.stderr
    name = create(hydrant, destination(unique_name("b"), endpoint=cluster.url, extra={"ProcessingConfiguration": {
        "Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": [
            {"ParameterName": "LambdaArn", "ParameterValue": "arn:aws:lambda:us-east-1:123456789012:function:enrich"}]}]}}))
    put(hydrant, name, [{"n": i} for i in range(5)])
    cluster.wait_for_documents(5, index=today_index(), timeout=60)
    assert sorted((d["n"], d["enriched"]) for d in cluster.documents(today_index()).values()) == \
        [(i, True) for i in range(5)]


def test_the_official_client_reads_what_hydrant_indexed(hydrant, cluster):
    """@opensearch-project/opensearch (tests/js) accepts the test cluster's answers and reads the
    documents Hydrant delivered: the receiver speaks the API the real client expects."""
    if shutil.which("node") is None:
        pytest.fail("node is not installed")
    if not (JS_DIR / "node_modules" / "@opensearch-project" / "opensearch").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True, capture_output=True, timeout=600)
    name = create(hydrant, destination(unique_name("b"), endpoint=cluster.url))
    put(hydrant, name, [{"n": i} for i in range(7)])
    cluster.wait_for_documents(7, index=today_index())
    some_id, source = sorted(cluster.documents(today_index()).items())[0]
    out = subprocess.run(["node", str(JS_DIR / "opensearch_client_check.mjs"), cluster.url, today_index(), some_id],
                         cwd=JS_DIR, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"distribution": "opensearch", "count": 7, "found": True, "source": source,
                      "bulk_errors": False, "bulk_status": 201, "missing_status": 404}
