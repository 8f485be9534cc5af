"""Record lineage (`hydrant lineage`), retention (tag hydrant:retention_hours) and replay
(`hydrant replay`), through the real clients: boto3 puts, the aws CLI for Lambda, and the
hydrant binary's own operator commands against the server's console endpoints."""
import base64
import datetime
import json
import re
import subprocess
import time
import urllib.parse
import zipfile

import pytest

from harness import hydrant_binary, wait_for

ROLE = "arn:aws:iam::123456789012:role/FirehoseDeliveryRole"


def hydrant_cli(server, *args, check=True, timeout=120):
    result = subprocess.run([str(hydrant_binary()), *args, "--endpoint", server.endpoint], capture_output=True,
                            text=True, timeout=timeout, env=server.client_env())
    if check:
        assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


def lineage(server, stream, record_id):
    return json.loads(hydrant_cli(server, "lineage", "--stream", stream, record_id, "--json").stdout)


def put_all(server, stream, records):
    for chunk in range(0, len(records), 500):
        response = server.firehose().put_record_batch(
            DeliveryStreamName=stream, Records=[{"Data": d} for d in records[chunk:chunk + 500]])
        assert response["FailedPutCount"] == 0, response


def console_get(server, path):
    response = server.raw("GET", path, sign=True)
    return response.status, json.loads(response.body or b"{}")


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def object_bytes(server, s3_url):
    bucket, key = s3_url[len("s3://"):].split("/", 1)
    return server.s3().get_object(Bucket=bucket, Key=key)["Body"].read()


def deploy(server, tmp_path, name, code):
    package = tmp_path / f"{name}-{abs(hash(code))}.zip"
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("fn.py", code)
    exists = server.aws("lambda", "get-function", "--function-name", name).returncode == 0
    args = (["update-function-code", "--function-name", name] if exists else
            ["create-function", "--function-name", name, "--runtime", "python3.11", "--handler", "fn.handler",
             "--role", ROLE, "--timeout", "5"])
    result = server.aws("lambda", *args, "--zip-file", f"fileb://{package}")
    assert result.returncode == 0, result.stderr


def lambda_stream(server, name, bucket, function, tags=()):
    extra = {"Tags": [{"Key": k, "Value": v} for k, v in tags]} if tags else {}
    server.firehose().create_delivery_stream(
        DeliveryStreamName=name,
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": "out/",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1},
            "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": [
                {"ParameterName": "LambdaArn",
                 "ParameterValue": f"arn:aws:lambda:us-east-1:123456789012:function:{function}"},
                {"ParameterName": "NumberOfRetries", "ParameterValue": "0"}]}]}},
        **extra)
    server.wait_active(name)


def test_every_record_id_leads_to_its_bytes_in_the_delivered_object(hydrant):
    hydrant.s3().create_bucket(Bucket="lineage-bucket")
    hydrant.create_s3_stream("traced", "lineage-bucket", interval_s=1)
    fh = hydrant.firehose()
    records = [f"record-{i}-{'x' * (i * 7 % 50)}\n".encode() for i in range(40)]
    ids = [r["RecordId"] for r in
           fh.put_record_batch(DeliveryStreamName="traced", Records=[{"Data": d} for d in records[:-1]])[
               "RequestResponses"]]
    ids.append(fh.put_record(DeliveryStreamName="traced", Record={"Data": records[-1]})["RecordId"])
    # The service's shape: an opaque string, one per record, never repeated.
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[A-Za-z0-9+/]{32}", i) for i in ids)
    hydrant.wait_objects("lineage-bucket", total_bytes=sum(map(len, records)))

    for record, record_id in zip(records, ids):
        status, answer = console_get(hydrant, "/console/api/lineage?" + urllib.parse.urlencode(
            {"stream": "traced", "record_id": record_id}))
        assert status == 200, answer
        assert answer["state"] == "delivered", answer
        received, delivered = answer["steps"]
        assert received["state"] == "received" and delivered["state"] == "delivered"
        assert received["time"] <= delivered["time"]
        body = object_bytes(hydrant, delivered["destination"])
        assert body[delivered["offset"]:delivered["offset"] + delivered["length"]] == record

    # The command prints the same, readably.
    text = hydrant_cli(hydrant, "lineage", "--stream", "traced", ids[5]).stdout
    assert f"record {ids[5]} of stream traced: delivered" in text and "destination=s3://lineage-bucket/" in text


def test_lineage_refuses_ids_it_did_not_give_and_tells_a_buffered_record(hydrant):
    hydrant.s3().create_bucket(Bucket="waiting-bucket")
    hydrant.create_s3_stream("waiting", "waiting-bucket", interval_s=900, size_mb=128)
    hydrant.create_s3_stream("other", "waiting-bucket", interval_s=900, size_mb=128)
    record_id = hydrant.firehose().put_record(DeliveryStreamName="waiting", Record={"Data": b"later\n"})["RecordId"]
    answer = lineage(hydrant, "waiting", record_id)
    assert answer["state"] == "buffered" and answer["size"] == 6 and answer["retained"] is True

    made_up = hydrant_cli(hydrant, "lineage", "--stream", "waiting", "A" * 32, check=False)
    assert made_up.returncode == 1 and "is not a RecordId Hydrant gave out" in made_up.stderr
    elsewhere = hydrant_cli(hydrant, "lineage", "--stream", "other", record_id, check=False)
    assert elsewhere.returncode == 1 and "is not a record of stream other" in elsewhere.stderr
    missing = hydrant_cli(hydrant, "lineage", "--stream", "nope", record_id, check=False)
    assert missing.returncode == 1 and "not found" in missing.stderr




def test_lineage_through_a_transformation_names_the_error_object_line(hydrant, tmp_path):
    hydrant.s3().create_bucket(Bucket="transformed")
    from test_transformation_failures import HANDLERS
    deploy(hydrant, tmp_path, "sorter", HANDLERS["drops_and_fails"])
    lambda_stream(hydrant, "sorted", "transformed", "sorter")
    records = [b"keep one\n", b"fail one\n", b"drop one\n", b"keep two\n", b"fail two\n", b"keep three\n"]
    ids = [r["RecordId"] for r in hydrant.firehose().put_record_batch(
        DeliveryStreamName="sorted", Records=[{"Data": d} for d in records])["RequestResponses"]]
    hydrant.wait_objects("transformed", prefix="out/processing-failed/", count=1, timeout=30)
    wait_for(lambda: lineage(hydrant, "sorted", ids[0])["state"] == "delivered", timeout=30)

    for record, record_id in zip(records, ids):
        answer = lineage(hydrant, "sorted", record_id)
        last = answer["steps"][-1]
        if record.startswith(b"keep"):
            assert answer["state"] == "delivered", answer
            body = object_bytes(hydrant, last["destination"])
            assert body[last["offset"]:last["offset"] + last["length"]] == record.upper()
        elif record.startswith(b"drop"):
            assert answer["state"] == "dropped", answer
        else:
            assert answer["state"] == "failed", answer
            lines = object_bytes(hydrant, last["error_object"]).decode().splitlines()
            failed = json.loads(lines[last["line"] - 1])
            assert base64.b64decode(failed["rawData"]) == record


def test_lineage_survives_kill_9(hydrant):
    hydrant.s3().create_bucket(Bucket="crash-bucket")
    hydrant.create_s3_stream("crashy", "crash-bucket", interval_s=1)
    record_id = hydrant.firehose().put_record(DeliveryStreamName="crashy", Record={"Data": b"persisted\n"})["RecordId"]
    wait_for(lambda: lineage(hydrant, "crashy", record_id)["state"] == "delivered", timeout=20)
    hydrant.kill()
    hydrant.start()
    answer = lineage(hydrant, "crashy", record_id)
    assert answer["state"] == "delivered"
    assert object_bytes(hydrant, answer["steps"][-1]["destination"]) == b"persisted\n"



def test_lineage_names_the_http_request_and_the_backup_object(hydrant):
    from firehose_receiver import FirehoseReceiver
    from test_backup import backup_config
    from test_http_endpoint import http_destination

    with FirehoseReceiver() as receiver:
        hydrant.s3().create_bucket(Bucket="http-side")
        hydrant.firehose().create_delivery_stream(
            DeliveryStreamName="to-http", HttpEndpointDestinationConfiguration=http_destination(receiver.url, "http-side"))
        hydrant.wait_active("to-http")
        record_id = hydrant.firehose().put_record(DeliveryStreamName="to-http", Record={"Data": b"posted"})["RecordId"]
        assert receiver.wait_for_records(1) == [b"posted"]
        request_id = [r for r in receiver.requests if r["outcome"] == "ok"][0]["request_id"]
        answer = wait_for(lambda: (lambda a: a if a["state"] == "delivered" else None)(
            lineage(hydrant, "to-http", record_id)), timeout=20)
        assert f"(request {request_id})" in answer["steps"][-1]["destination"], answer

        # Refused for good (413 fails at once): the record's line in http-endpoint-failed/.
        receiver.set_mode("status", 413)
        hydrant.firehose().create_delivery_stream(
            DeliveryStreamName="refused", HttpEndpointDestinationConfiguration=http_destination(receiver.url, "http-side"))
        hydrant.wait_active("refused")
        refused = [b"first refused", b"second refused"]
        ids = [r["RecordId"] for r in hydrant.firehose().put_record_batch(
            DeliveryStreamName="refused", Records=[{"Data": d} for d in refused])["RequestResponses"]]
        answer = wait_for(lambda: (lambda a: a if a["state"] != "delivering" and a["state"] != "buffered" else None)(
            lineage(hydrant, "refused", ids[1])), timeout=30)
        assert answer["state"] == "failed", answer
        step = answer["steps"][-1]
        assert "/http-endpoint-failed/" in step["error_object"] or step["error_object"].startswith(
            "s3://http-side/http-endpoint-failed/"), step
        failed = json.loads(object_bytes(hydrant, step["error_object"]).splitlines()[step["line"] - 1])
        assert base64.b64decode(failed["rawData"]) == refused[1]

    hydrant.s3().create_bucket(Bucket="backed-data")
    hydrant.s3().create_bucket(Bucket="backed-source")
    hydrant.create_s3_stream("backed", "backed-data", S3BackupMode="Enabled",
                             S3BackupConfiguration=backup_config("backed-source", compression="UNCOMPRESSED"))
    records = [b"first record", b"second record"]
    ids = [r["RecordId"] for r in hydrant.firehose().put_record_batch(
        DeliveryStreamName="backed", Records=[{"Data": d} for d in records])["RequestResponses"]]

    def steps():
        answer = lineage(hydrant, "backed", ids[1])
        found = {s["state"]: s for s in answer["steps"]}
        return found if {"delivered", "backed_up"} <= found.keys() else None

    found = wait_for(steps, timeout=30)
    backup = found["backed_up"]
    assert backup["object"].startswith("s3://backed-source/source/")
    body = object_bytes(hydrant, backup["object"])
    assert body[backup["offset"]:backup["offset"] + backup["length"]] == records[1]
    assert found["delivered"]["destination"].startswith("s3://backed-data/")


def test_lineage_of_a_partitioned_record_names_its_partition_objects(hydrant):
    from test_dynamic_partitioning import create_partitioned_stream, jq_processor

    create_partitioned_stream(hydrant, "parted", "parted-bucket", prefix="team=!{partitionKeyFromQuery:team}/",
                              processors=[jq_processor("{team: .team}"), {"Type": "AppendDelimiterToRecord"}])
    records = [json.dumps({"team": t, "n": n}).encode() for n in range(5) for t in ("red", "blue")]
    ids = [r["RecordId"] for r in hydrant.firehose().put_record_batch(
        DeliveryStreamName="parted", Records=[{"Data": d} for d in records])["RequestResponses"]]
    hydrant.wait_objects("parted-bucket", count=2, timeout=30)
    answer = wait_for(lambda: (lambda a: a if a["state"] == "delivered" else None)(
        lineage(hydrant, "parted", ids[3])), timeout=30)
    step = answer["steps"][-1]
    assert step["destination"] == "one of the partition objects of its range"
    holding = [o for o in step["objects"] if records[3] + b"\n" in object_bytes(hydrant, o)]
    assert len(holding) == 1 and "/team=blue/" in "/" + holding[0].split("/", 3)[3], step

def retained_bytes(server, stream):
    metrics = server.raw("GET", "/metrics", sign=False).body.decode()
    match = re.search(r'hydrant_wal_retained_bytes\{delivery_stream="%s"\} (\d+)' % stream, metrics)
    return int(match.group(1))


def test_retention_keeps_delivered_records_within_the_disk_budget(hydrant_factory):
    cap = 256 * 1024
    server = hydrant_factory(extra_args=["--wal-segment-bytes", "16384"], max_buffered_bytes=cap)
    server.s3().create_bucket(Bucket="kept-bucket")
    server.create_s3_stream("kept", "kept-bucket", interval_s=1, Prefix="kept/")
    server.create_s3_stream("gone", "kept-bucket", interval_s=1, Prefix="gone/")
    fh = server.firehose()
    fh.tag_delivery_stream(DeliveryStreamName="kept", Tags=[{"Key": "hydrant:retention_hours", "Value": "1"}])
    record = b"r" * 999 + b"\n"
    first = None
    # Eight times the budget, put at the pace of delivery: retention never throttles a put.
    for round_ in range(20):
        for name in ("kept", "gone"):
            response = fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": record}] * 100)
            assert response["FailedPutCount"] == 0, response
            if name == "kept" and first is None:
                first = response["RequestResponses"][0]["RecordId"]
        wait_for(lambda: lineage(server, "gone", response["RequestResponses"][-1]["RecordId"])["state"] == "delivered",
                 timeout=20)
        if round_ == 1:
            # Delivered, and still in the log: 2 × 100 KB kept, the stream without the tag keeps
            # at most its current segment.
            wait_for(lambda: retained_bytes(server, "kept") > 180_000, timeout=20)
            assert retained_bytes(server, "gone") < 110_000  # its current segment: one put
            assert lineage(server, "kept", first)["retained"] is True
    # Beyond the cap, the oldest retained segments went first.
    wait_for(lambda: retained_bytes(server, "kept") <= cap + 2 * 16384, timeout=30)
    assert lineage(server, "kept", first)["retained"] is False


FAILS_EVERYTHING = """
def handler(event, context):
    return {"records": [{"recordId": r["recordId"], "result": "ProcessingFailed", "data": r["data"]}
                        for r in event["records"]]}
"""
UPPERCASES = """
import base64
def handler(event, context):
    return {"records": [{"recordId": r["recordId"], "result": "Ok",
                         "data": base64.b64encode(base64.b64decode(r["data"]).upper()).decode()}
                        for r in event["records"]]}
"""


def test_a_broken_lambda_fixed_then_the_window_replayed(hydrant, tmp_path):
    """The issue's use case: every record fails into processing-failed/; the function is fixed with
    update-function-code; replaying the window delivers the records transformed, under new keys."""
    hydrant.s3().create_bucket(Bucket="replay-bucket")
    deploy(hydrant, tmp_path, "enricher", FAILS_EVERYTHING)
    lambda_stream(hydrant, "orders", "replay-bucket", "enricher", tags=[("hydrant:retention_hours", "24")])
    fh = hydrant.firehose()
    t1 = time.time() - 1
    records = [f"order {i}\n".encode() for i in range(300)]
    put_all(hydrant, "orders", records)
    t2 = time.time() + 1
    failed = hydrant.wait_objects("replay-bucket", prefix="out/processing-failed/",
                                  total_bytes=300 * 200, timeout=60)
    failed_lines = [json.loads(line) for body in failed.values() for line in body.splitlines()]
    assert sorted(base64.b64decode(f["rawData"]) for f in failed_lines) == sorted(records)
    assert not [k for k in hydrant.read_objects("replay-bucket", "out/") if "processing-failed" not in k]

    deploy(hydrant, tmp_path, "enricher", UPPERCASES)
    # A record put after the window is delivered live, and not replayed.
    fh.put_record(DeliveryStreamName="orders", Record={"Data": b"after the window\n"})
    result = hydrant_cli(hydrant, "replay", "--stream", "orders", "--from", iso(t1), "--to", iso(t2))
    assert re.search(r"completed, 100\.0% \(300 records put into orders\)", result.stdout), result.stdout

    def delivered():
        objects = hydrant.read_objects("replay-bucket", "out/")
        data = b"".join(body for key, body in objects.items() if "processing-failed" not in key)
        return data if data.count(b"\n") >= 301 else None

    data = wait_for(delivered, timeout=60)
    assert sorted(data.splitlines(keepends=True)) == sorted([r.upper() for r in records] + [b"AFTER THE WINDOW\n"])
    # The first delivery's error objects are still there, untouched.
    assert hydrant.read_objects("replay-bucket", "out/processing-failed/") == failed


def test_replay_into_another_stream_resumes_after_kill_9_and_can_be_cancelled(hydrant_factory):
    server = hydrant_factory(extra_args=["--replay-max-ahead-bytes", "20000"])
    server.s3().create_bucket(Bucket="source-bucket")
    server.create_s3_stream("source", "source-bucket", interval_s=1)
    fh = server.firehose()
    fh.tag_delivery_stream(DeliveryStreamName="source", Tags=[{"Key": "hydrant:retention_hours", "Value": "2"}])
    # The target's bucket does not exist yet: its backlog grows and the replay waits beside it.
    server.create_s3_stream("target", "target-bucket", interval_s=1)
    t1 = time.time() - 1
    # 4.5 MB: more than the 2 MiB a target with 1 MiB buffers may have undelivered.
    records = [f"{i:05d} {'p' * 1494}\n".encode() for i in range(3000)]
    put_all(server, "source", records)
    t2 = time.time() + 1
    server.wait_objects("source-bucket", total_bytes=sum(map(len, records)), timeout=30)

    started = hydrant_cli(server, "replay", "--stream", "source", "--from", iso(t1), "--to", iso(t2),
                          "--to-stream", "target", "--no-wait").stdout
    replay_id = re.search(r"replay (\S+):", started).group(1)

    def status():
        return console_get(server, f"/console/api/replays/{replay_id}")[1]

    paused = wait_for(lambda: status() if status()["records_replayed"] > 0 else None, timeout=20)
    time.sleep(1)
    assert status()["state"] == "running" and status()["records_replayed"] < 3000, "the backlog did not pause it"
    server.kill()
    server.start()
    assert status()["state"] == "running" and status()["records_replayed"] >= paused["records_replayed"]
    server.s3().create_bucket(Bucket="target-bucket")
    done = wait_for(lambda: status() if status()["state"] == "completed" else None, timeout=60)
    assert done["progress"] == 1.0
    # At least once: a chunk cut by the kill may come twice, nothing is missing.
    wait_for(lambda: set(b"".join(server.read_objects("target-bucket").values()).splitlines(keepends=True))
             == set(records), timeout=30)

    # A second replay, held behind a stalled target, is cancelled.
    server.create_s3_stream("stalled", "missing-bucket", interval_s=1)
    started = hydrant_cli(server, "replay", "--stream", "source", "--from", iso(t1), "--to", iso(t2),
                          "--to-stream", "stalled", "--no-wait").stdout
    second = re.search(r"replay (\S+):", started).group(1)
    wait_for(lambda: console_get(server, f"/console/api/replays/{second}")[1]["records_replayed"] > 0, timeout=20)
    # Replays take turns: one waiting on a stalled target holds up no other.
    third = hydrant_cli(server, "replay", "--stream", "source", "--from", iso(t1), "--to", iso(t2),
                        "--to-stream", "target").stdout
    assert "completed, 100.0% (3000 records put into target)" in third, third
    assert console_get(server, f"/console/api/replays/{second}")[1]["state"] == "running"
    cancelled = hydrant_cli(server, "replay", "--cancel", second).stdout
    assert "cancelled" in cancelled
    count = console_get(server, f"/console/api/replays/{second}")[1]["records_replayed"]
    time.sleep(2)
    after = console_get(server, f"/console/api/replays/{second}")[1]
    assert after["state"] == "cancelled" and after["records_replayed"] == count
    listed = hydrant_cli(server, "replay", "--list").stdout
    assert f"replay {replay_id}: completed" in listed and f"replay {second}: cancelled" in listed


def test_replay_refuses_bad_windows_and_unknown_streams(hydrant):
    hydrant.s3().create_bucket(Bucket="plain-bucket")
    hydrant.create_s3_stream("plain", "plain-bucket")
    bad_time = hydrant_cli(hydrant, "replay", "--stream", "plain", "--from", "yesterday", "--to", "now", check=False)
    assert bad_time.returncode == 1 and "is not a time" in bad_time.stderr
    backwards = hydrant_cli(hydrant, "replay", "--stream", "plain", "--from", "2026-12-06T10:00:00Z",
                            "--to", "2026-12-06T09:00:00Z", check=False)
    assert backwards.returncode == 1 and "before its start" in backwards.stderr
    unknown = hydrant_cli(hydrant, "replay", "--stream", "plain", "--from", "2026-12-06T09:00:00Z",
                          "--to", "2026-12-06T10:00:00Z", "--to-stream", "nowhere", check=False)
    assert unknown.returncode == 1 and "nowhere not found" in unknown.stderr


def test_the_readme_block_runs_as_written(hydrant, tmp_path):
    """The README's "Operating Hydrant" block, against this server (its port) and this build."""
    from harness import REPO_ROOT
    section = (REPO_ROOT / "README.md").read_text().split("## Operating Hydrant", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"^```sh\n(.*?)^```", section, flags=re.M | re.S).group(1)
    binary = str(hydrant_binary())
    block = block.replace("127.0.0.1:4573", f"127.0.0.1:{hydrant.port}")
    for command in ("lineage", "replay"):
        block = block.replace(f"build/hydrant {command}", f"{binary} {command} --endpoint {hydrant.endpoint}")
    script = tmp_path / "block.sh"
    script.write_text("set -e\n" + block)
    env = hydrant.client_env()
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"record \S+ of stream ops-demo: delivered", result.stdout), result.stdout
    assert "destination=s3://ops-demo/" in result.stdout and "offset=0 length=6" in result.stdout
    assert "completed, 100.0% (1 records put into ops-demo)" in result.stdout
    # The record, and its replay in a second object.
    objects = hydrant.wait_objects("ops-demo", count=2, timeout=20)
    assert sorted(objects.values()) == [b"hello\n", b"hello\n"]


def test_retention_hours_in_the_config_file_sets_the_tag(hydrant_factory, tmp_path):
    config = tmp_path / "hydrant.yaml"

    def write(hours):
        config.write_text(json.dumps({"buckets": ["configured-bucket"], "streams": [{
            "DeliveryStreamName": "configured", "retention_hours": hours,
            "ExtendedS3DestinationConfiguration": {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::configured-bucket"}}]}))

    write(6)
    server = hydrant_factory(config_file=config)

    def tags():
        return {t["Key"]: t["Value"] for t in server.firehose().list_tags_for_delivery_stream(
            DeliveryStreamName="configured")["Tags"]}

    assert tags() == {"hydrant:retention_hours": "6"}
    overview = console_get(server, "/console/api/overview")[1]
    assert [s["retention_hours"] for s in overview["streams"] if s["name"] == "configured"] == [6]
    # The config file wins over a tag set since, at the next start.
    server.firehose().tag_delivery_stream(DeliveryStreamName="configured",
                                          Tags=[{"Key": "hydrant:retention_hours", "Value": "1"}])
    write(2.5)
    server.restart()
    assert tags() == {"hydrant:retention_hours": "2.5"}
    write(-1)
    server.stop()
    with pytest.raises(Exception, match="retention_hours must be a number of hours"):
        server.start()
