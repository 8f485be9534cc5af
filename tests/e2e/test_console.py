"""The web console (GET /console, the page embedded in the binary) in a real browser: Debian's
headless Chromium driven by puppeteer-core (tests/js/console_check.mjs).

Each test starts a real server, drives the page through its routes, compares what the page shows
with what the APIs answer at the same moment (the page's own fetch, with its session), and keeps
full-page screenshots under $HYDRANT_TEST_ARTIFACTS/console/ (default build/test-artifacts/console/).
Covered: the overview and a stream's graphs under load, a stream created from pasted JSON with a
test record followed to its object (bucket browser, download, lineage), the functions, a stream's
delivery errors, sign-in with a key's policy, and a replay started from the replays page.
"""
import io
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from conftest import unique_name
from harness import ACCESS_KEY, DEFAULT_CLIENT_REGION, REPO_ROOT, SECRET_KEY, wait_for

JS_DIR = REPO_ROOT / "tests" / "js"
ARTIFACTS = Path(os.environ.get("HYDRANT_TEST_ARTIFACTS") or REPO_ROOT / "build" / "test-artifacts") / "console"
SERIES = ["incoming_records", "incoming_bytes", "delivered_records", "delivered_bytes", "throttled_records",
          "failed_records", "freshness_seconds", "backlog_bytes"]
# Totals that only grow; buffered_* go up and down.
MONOTONIC = ["incoming_records", "incoming_bytes", "delivered_records", "delivered_bytes", "throttled_records",
             "failed_records"]


@pytest.fixture(scope="module")
def browser_ready():
    """node and puppeteer-core (tests/js/node_modules), installed from the lock file if missing."""
    if shutil.which("node") is None:
        pytest.fail("node is not installed")
    if not Path(os.environ.get("CHROMIUM", "/usr/bin/chromium")).exists():
        pytest.fail("chromium is not installed")
    if not (JS_DIR / "node_modules" / "puppeteer-core").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True, capture_output=True,
                       timeout=600)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def run_console(server, steps, prefix):
    """Runs the steps in one browser; returns {name: result} of the steps marked "as": name.
    Fails the test with the step, the page's message box and its uncaught errors when a step fails."""
    result = subprocess.run(
        ["node", str(JS_DIR / "console_check.mjs")], cwd=JS_DIR, capture_output=True, text=True, timeout=240,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(ARTIFACTS),
             "CHROMIUM": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
             "HYDRANT_CONSOLE_URL": server.endpoint, "HYDRANT_CONSOLE_STEPS": json.dumps(steps),
             "HYDRANT_SCREENSHOTS": str(ARTIFACTS), "HYDRANT_SCREENSHOT_PREFIX": prefix + "-"})
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    if not outcome["ok"]:
        pytest.fail(f"browser step {outcome['failed_step']} {outcome['step']} failed: {outcome['error']}\n"
                    f"url: {outcome['url']}\n#message: {outcome['message_box']}\n"
                    f"page errors: {outcome['page_errors']}\nscreenshot: {ARTIFACTS}/{prefix}-failure-*.png")
    assert outcome["page_errors"] == [], outcome["page_errors"]
    return outcome["named"]


def console_api(server, path, method="GET", body=None, cookie=None):
    """(status, JSON body) of a console endpoint, as the page would call it."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if cookie:
        headers["Cookie"] = cookie
    request = urllib.request.Request(server.endpoint + path, method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        text = error.read()
        return error.code, json.loads(text) if text.startswith(b"{") else text


def js_row(name):
    """The overview row of a stream as the page shows it, and the API's entry fetched right after."""
    return """(async () => {
      const row = document.querySelector('#streams-table tr[data-stream="%(name)s"]');
      const text = (s) => row.querySelector(s)?.textContent.trim();
      const counters = Object.fromEntries([...row.querySelectorAll('[data-counter]')]
        .map((e) => [e.dataset.counter, e.dataset.value === '' ? null : Number(e.dataset.value)]));
      const api = await (await fetch('/console/api/overview', {credentials: 'same-origin'})).json();
      return {status: text('.status'), kind: text('.kind'), target: text('.target'), buffering: text('.buffering'),
              processors: text('.processors'), version: text('.version'), counters,
              api: api.streams.find((s) => s.name === '%(name)s')};
    })()""" % {"name": name}


def js_graphs(name):
    """Every graph's data-* attributes and vertex count, and the history fetched right after."""
    return """(async () => {
      const graphs = [...document.querySelectorAll('#graphs svg.graph')].map((g) => ({
        series: g.dataset.series, points: Number(g.dataset.points), last: g.dataset.last,
        last_time: g.dataset.lastTime, vertices: (g.querySelector('path').getAttribute('d').match(/[ML]/g) || []).length}));
      const api = await (await fetch('/console/api/streams/%(name)s/history', {credentials: 'same-origin'})).json();
      return {graphs, api};
    })()""" % {"name": name}


class Load(threading.Thread):
    """Steady producer: PutRecordBatch of 10 records every ~100 ms until stopped."""

    def __init__(self, server, stream):
        super().__init__(daemon=True)
        self.client, self.stream = server.firehose(max_attempts=1), stream
        self.halt, self.sent, self.errors = threading.Event(), 0, []

    def run(self):
        n = 0
        while not self.halt.is_set():
            records = [{"Data": f'{{"n":{n + i},"pad":"{"x" * 40}"}}\n'.encode()} for i in range(10)]
            n += 10
            try:
                answer = self.client.put_record_batch(DeliveryStreamName=self.stream, Records=records)
                self.sent += len(records) - answer["FailedPutCount"]
            except Exception as error:  # noqa: BLE001 - reported by the test
                self.errors.append(repr(error))
            self.halt.wait(0.1)

    def stop(self):
        self.halt.set()
        self.join(timeout=10)


def test_overview_and_graphs_show_what_the_api_reports_under_load(hydrant_factory, browser_ready):
    server = hydrant_factory()
    bucket, name = unique_name("b"), unique_name("load")
    server.s3().create_bucket(Bucket=bucket)
    server.create_s3_stream(name, bucket, prefix="load/", size_mb=1, interval_s=1)
    load = Load(server, name)
    load.start()
    try:
        # The history has one point per 10 s: wait for two, with something delivered.
        wait_for(lambda: len(console_api(server, f"/console/api/streams/{name}/history")[1]["points"]) >= 2,
                 timeout=60, interval=1, message="two history points")
        wait_for(lambda: console_api(server, "/console/api/overview")[1]["streams"][0]["counters"]
                 ["delivered_records"] > 0, timeout=20, interval=0.5, message="delivered records")
        shown = run_console(server, [
            {"goto": "#/streams"},
            {"waitFor": f'#streams-table tr[data-stream="{name}"]'},
            {"eval": js_row(name), "as": "row"},
            {"screenshot": "streams"},
            {"goto": f"#/streams/{name}"},
            {"waitFor": '#graphs svg.graph[data-series="incoming_records"]'},
            {"eval": js_graphs(name), "as": "graphs"},
            {"screenshot": "stream"},
        ], "load")
    finally:
        load.stop()
    assert load.errors == [] and load.sent > 0, load.errors[:3]

    row, graphs = shown["row"], shown["graphs"]
    api = row["api"]
    assert api is not None, "the stream is missing from GET /console/api/overview"
    assert (api["kind"], api["status"]) == ("S3", "ACTIVE")
    assert api["target"].endswith(bucket), api["target"]
    assert api["buffering"] == {"size_mb": 1, "interval_seconds": 1}
    assert row["status"] == "ACTIVE"
    assert (row["kind"], row["target"]) == (api["kind"], api["target"])
    assert row["buffering"] == "1 MiB / 1 s"
    assert row["version"] == str(api["version_id"])
    assert row["processors"] == (", ".join(api["processors"]) or "—")
    # The page read its numbers a moment before the API answered here: never ahead, hardly behind
    # (~100 records/s come in, so 10 s of slack is 1000 records).
    counters = row["counters"]
    assert set(counters) == set(api["counters"]), counters
    assert counters["incoming_records"] > 0 and counters["delivered_records"] > 0, counters
    for key in MONOTONIC:
        behind = api["counters"][key] - counters[key]
        slack = 1000 * (60 if key.endswith("bytes") else 1)
        assert 0 <= behind <= slack, (key, counters[key], api["counters"][key])
    assert counters["throttled_records"] == counters["failed_records"] == 0

    points = graphs["api"]["points"]
    assert graphs["api"]["resolution_seconds"] == 10
    drawn = {g["series"]: g for g in graphs["graphs"]}
    assert sorted(drawn) == sorted(SERIES), list(drawn)
    by_time = {str(p["time"]): p for p in points}
    for series, g in drawn.items():
        # Fetched just after the page drew: at most one new point since.
        assert abs(g["points"] - len(points)) <= 1, (series, g["points"], len(points))
        assert g["points"] >= 2 and g["vertices"] == g["points"], g
        # The last point drawn is the API's point for that time, value for value.
        assert g["last_time"] in by_time, (series, g["last_time"], list(by_time)[-3:])
        assert float(g["last"]) == pytest.approx(float(by_time[g["last_time"]][series])), (series, g)
    incoming = drawn["incoming_records"]
    assert float(incoming["last"]) > 0, incoming


def test_create_a_stream_from_the_form_send_a_test_record_and_download_it(hydrant_factory, browser_ready):
    server = hydrant_factory()
    bucket, name = unique_name("b"), unique_name("made")
    server.s3().create_bucket(Bucket=bucket)
    request = {
        "DeliveryStreamName": name,
        "DeliveryStreamType": "DirectPut",
        "ExtendedS3DestinationConfiguration": {
            "RoleARN": f"arn:aws:iam::{server.account_id}:role/firehose-role",
            "BucketARN": f"arn:aws:s3:::{bucket}",
            "Prefix": "console/",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1},
        },
    }
    record = '{"hello":"console","emoji":"\u00e9\u2713"}\n'
    shown = run_console(server, [
        {"goto": "#/create"},
        {"fill": "#create-json", "value": json.dumps(request, indent=2)},
        {"screenshot": "form"},
        {"click": "#create-submit"},
        {"waitForFn": f"location.hash === '#/streams/{name}'"},
        {"waitFor": '#stream-status[data-status="ACTIVE"]', "timeout": 20000},
        {"fill": "#test-record-data", "value": record},
        {"click": "#test-record"},
        {"waitFor": "#test-record-result[data-record-id]"},
        {"read": "#test-record-result", "attrs": ["data-record-id"], "as": "sent"},
        # Kept for the lineage look-up at the end (sessionStorage outlives the reloads below).
        {"eval": "sessionStorage.recordId = document.querySelector('#test-record-result').dataset.recordId"},
        {"screenshot": "stream"},
        {"goto": "#/streams"},
        {"waitFor": f'#streams-table tr[data-stream="{name}"]'},
        {"eval": js_row(name), "as": "row"},
        {"screenshot": "streams"},
        {"goto": "#/buckets"},
        {"waitFor": f'#buckets-table tr[data-bucket="{bucket}"]'},
        {"screenshot": "buckets"},
        # Delivered after the 1 s buffering interval, under console/YYYY/MM/DD/HH/: click down the folders.
        {"until": f"#/buckets/{bucket}", "selector": '#objects-table tr[data-prefix="console/"]', "timeout": 30000},
        {"clickUntil": "#objects-table tr[data-prefix] a", "selector": "#objects-table tr[data-key]", "max": 8},
        {"screenshot": "objects"},
        {"eval": """(async () => {
            const link = document.querySelector('#objects-table tr[data-key] a.download');
            const response = await fetch(link.href, {credentials: 'same-origin'});
            return {key: link.closest('tr').dataset.key, href: link.getAttribute('href'), status: response.status,
                    body: await response.text(), path: document.querySelector('#bucket-path').textContent};
          })()""", "as": "download"},
        # Where did the test record go? The stream page's lineage form, with the id PutRecord gave.
        {"goto": f"#/streams/{name}"},
        {"eval": "document.querySelector('#lineage-id').value = sessionStorage.recordId"},
        {"click": "#lineage-submit"},
        {"waitFor": '#lineage-result td[data-field="state"]'},
        {"read": '#lineage-result td[data-field="state"]', "as": "lineage_state"},
        {"read": "#lineage-result a.download", "attrs": ["href"], "as": "lineage_links"},
        {"screenshot": "lineage"},
    ], "create")
    sent = shown["sent"][0]
    record_id = sent["attrs"]["data-record-id"]
    assert len(record_id) > 10 and record_id in sent["text"], sent

    description = server.firehose().describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    assert description["DeliveryStreamStatus"] == "ACTIVE"
    destination = description["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert destination["BucketARN"] == f"arn:aws:s3:::{bucket}" and destination["Prefix"] == "console/"

    row = shown["row"]
    assert (row["status"], row["kind"], row["buffering"]) == ("ACTIVE", "S3", "1 MiB / 1 s"), row
    assert row["counters"]["incoming_records"] == 1, row

    download = shown["download"]
    assert download["status"] == 200, download
    assert download["key"].startswith("console/"), download
    assert download["href"] == f"/{bucket}/{download['key']}", download
    assert download["body"] == record
    assert server.read_objects(bucket, "console/") == {download["key"]: record.encode()}
    # The lineage of the test record names the object the page downloaded.
    assert shown["lineage_state"][0]["text"] == "delivered", shown["lineage_state"]
    assert download["href"] in [link["attrs"]["href"] for link in shown["lineage_links"]], shown["lineage_links"]


def test_functions_page_lists_the_lambda_functions(hydrant_factory, browser_ready):
    server = hydrant_factory()
    config = Config(connect_timeout=5, read_timeout=30, retries={"total_max_attempts": 1})
    client = boto3.session.Session().client(
        "lambda", endpoint_url=server.endpoint, region_name=DEFAULT_CLIENT_REGION,
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, config=config)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("transform.py", "def handler(event, context):\n    return {'records': []}\n")
    name = unique_name("fn")
    created = client.create_function(
        FunctionName=name, Runtime="python3.11", Role="arn:aws:iam::123456789012:role/lambda-role",
        Handler="transform.handler", Code={"ZipFile": archive.getvalue()}, Timeout=42, MemorySize=256)
    shown = run_console(server, [
        {"goto": "#/functions"},
        {"waitFor": f'#functions-table tr[data-function="{name}"]'},
        {"read": "#functions-table tbody tr", "attrs": ["data-function"], "as": "rows"},
        {"read": f'#functions-table tr[data-function="{name}"] td', "attrs": ["title"], "as": "cells"},
        {"screenshot": "functions"},
    ], "functions")
    assert [r["attrs"]["data-function"] for r in shown["rows"]] == [name]
    cells = [c["text"] for c in shown["cells"]]
    assert cells[:3] == [name, "python3.11", "transform.handler"], cells
    assert shown["cells"][0]["attrs"]["title"] == created["FunctionArn"]
    assert (cells[4], cells[5]) == ("256 MB", "42 s"), cells


def test_stream_page_shows_the_delivery_errors(hydrant_factory, browser_ready):
    server = hydrant_factory()
    missing, name = unique_name("nobucket"), unique_name("broken")
    server.create_s3_stream(name, missing, interval_s=1)  # the bucket is never created
    server.firehose().put_record(DeliveryStreamName=name, Record={"Data": b"stuck\n"})

    def errors():
        status, body = console_api(server, f"/console/api/streams/{name}/errors")
        assert status == 200, body
        return body["errors"]

    wait_for(lambda: any(e["code"] == "S3.NoSuchBucket" for e in errors()), timeout=30, interval=0.5,
             message="S3.NoSuchBucket in the stream's errors")
    shown = run_console(server, [
        {"goto": f"#/streams/{name}"},
        {"waitFor": '#errors-table tr[data-code="S3.NoSuchBucket"]'},
        {"eval": """(async () => {
            const rows = [...document.querySelectorAll('#errors-table tbody tr[data-code]')].map((tr) => ({
              code: tr.querySelector('.code').textContent, message: tr.querySelector('.message').textContent,
              count: Number(tr.querySelector('.count').textContent), time: tr.querySelector('.time').textContent}));
            const api = await (await fetch('/console/api/streams/%s/errors', {credentials: 'same-origin'})).json();
            return {rows, api: api.errors};
          })()""" % name, "as": "errors"},
        {"screenshot": "stream"},
    ], "errors")["errors"]
    api = {e["code"]: e for e in shown["api"]}
    page = {r["code"]: r for r in shown["rows"]}
    assert list(page) == [e["code"] for e in shown["api"]], (shown["rows"], shown["api"])
    error = page["S3.NoSuchBucket"]
    assert missing in error["message"], error
    assert error["message"] == api["S3.NoSuchBucket"]["message"]
    # Retries go on while the test reads: the page's count may trail the API's, never lead it.
    assert 1 <= error["count"] <= api["S3.NoSuchBucket"]["count"], (error, api)
    assert error["time"].startswith(time.strftime("%Y-", time.gmtime(api["S3.NoSuchBucket"]["time"] / 1000)))


READER_KEY, READER_SECRET = "AKIACONSOLEREADER000", "reader-secret"
READ_ONLY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Resource": "*",
    "Action": ["firehose:Describe*", "firehose:List*", "s3:List*", "s3:Get*", "lambda:List*", "lambda:Get*"]}]}


def test_sign_in_and_act_with_the_key_policy(hydrant_factory, browser_ready, tmp_path):
    config = tmp_path / "hydrant.yaml"
    config.write_text(json.dumps({"credentials": [
        {"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY},
        {"access_key_id": READER_KEY, "secret_access_key": READER_SECRET, "user": "console-reader",
         "policy": READ_ONLY}]}))
    server = hydrant_factory(config_file=config)
    bucket, existing, made = unique_name("b"), unique_name("there"), unique_name("made")
    server.s3().create_bucket(Bucket=bucket)
    server.create_s3_stream(existing, bucket, interval_s=1)

    # Signed out, the console's API refuses; the page itself loads (it must, to show the sign-in).
    assert console_api(server, "/console/api/session")[1] == {
        "auth_required": True, "signed_in": False, "access_key_id": None}
    status, body = console_api(server, "/console/api/overview")
    assert status == 401 and body["message"], body
    with urllib.request.urlopen(server.endpoint + "/console", timeout=10) as response:
        assert response.status == 200 and response.headers["Content-Type"].startswith("text/html")

    def create(stream):
        return {"DeliveryStreamName": stream, "ExtendedS3DestinationConfiguration": {
            "RoleARN": "arn:aws:iam::123456789012:role/firehose-role", "BucketARN": f"arn:aws:s3:::{bucket}",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1}}}

    def sign_in(key, secret):
        return [{"fill": "#signin-key", "value": key}, {"fill": "#signin-secret", "value": secret},
                {"click": "#signin-submit"}]

    shown = run_console(server, [
        {"goto": "#/streams"},
        {"waitFor": "#signin-form"},
        {"screenshot": "signin"},
        *sign_in(ACCESS_KEY, "not-the-secret"),
        {"waitFor": "#message.error", "text": "Sign-in refused"},
        {"read": "#message", "as": "refused"},
        {"eval": "document.querySelector('#signin-form') !== null && !document.querySelector('#streams-table')",
         "as": "still_signin"},
        {"screenshot": "refused"},
        *sign_in(READER_KEY, READER_SECRET),
        {"waitFor": f'#streams-table tr[data-stream="{existing}"]'},
        {"read": "#whoami", "as": "reader"},
        {"eval": "document.cookie", "as": "cookie"},
        {"screenshot": "reader-streams"},
        {"goto": "#/create"},
        {"fill": "#create-json", "value": json.dumps(create(made))},
        {"click": "#create-submit"},
        {"waitFor": "#message.error", "text": "AccessDeniedException"},
        {"read": "#message", "as": "denied"},
        {"eval": "location.hash", "as": "denied_at"},
        {"screenshot": "reader-denied"},
        {"click": "#signout"},
        {"waitFor": "#signin-form"},
        *sign_in(ACCESS_KEY, SECRET_KEY),
        {"waitFor": "#create-json"},  # back where the reader was refused
        {"fill": "#create-json", "value": json.dumps(create(made))},
        {"click": "#create-submit"},
        {"waitForFn": f"location.hash === '#/streams/{made}'"},
        {"waitFor": "#stream-status[data-status]"},
        {"read": "#whoami", "as": "admin"},
        {"screenshot": "admin-created"},
    ], "signin")
    assert "Sign-in refused" in shown["refused"][0]["text"], shown["refused"]
    assert shown["still_signin"] is True
    assert READER_KEY in shown["reader"][0]["text"]
    assert shown["cookie"] == "", "the session cookie must be HttpOnly"
    denied = shown["denied"][0]["text"]
    assert "AccessDeniedException" in denied and "firehose:CreateDeliveryStream" in denied, denied
    assert shown["denied_at"] == "#/create"
    assert ACCESS_KEY in shown["admin"][0]["text"]
    names = server.firehose().list_delivery_streams()["DeliveryStreamNames"]
    assert sorted(names) == sorted([existing, made])


def test_replays_page_starts_a_replay_and_follows_it(hydrant_factory, browser_ready):
    """A replay started from the form re-puts a retained window into another stream."""
    server = hydrant_factory()
    s3, fh = server.s3(), server.firehose()
    source_bucket, target_bucket = unique_name("src"), unique_name("dst")
    source, target = unique_name("source"), unique_name("target")
    for bucket in (source_bucket, target_bucket):
        s3.create_bucket(Bucket=bucket)
    server.create_s3_stream(source, source_bucket, interval_s=1)
    fh.tag_delivery_stream(DeliveryStreamName=source, Tags=[{"Key": "hydrant:retention_hours", "Value": "1"}])
    server.create_s3_stream(target, target_bucket, interval_s=1)
    records = [f'{{"order":{i}}}\n'.encode() for i in range(20)]
    assert fh.put_record_batch(DeliveryStreamName=source, Records=[{"Data": r} for r in records])["FailedPutCount"] == 0
    server.wait_objects(source_bucket, total_bytes=sum(map(len, records)))
    # datetime-local inputs take the browser's local time: the page turns them into ISO-8601 UTC.
    window = """(() => {
      const local = (ms) => new Date(ms - new Date(ms).getTimezoneOffset() * 60000).toISOString().slice(0, 19);
      document.querySelector('#replay-from').value = local(Date.now() - 10 * 60000);
      document.querySelector('#replay-to').value = local(Date.now() + 60000);
      return true;
    })()"""
    shown = run_console(server, [
        {"goto": "#/replays"},
        {"fill": "#replay-stream", "value": source},
        {"fill": "#replay-to-stream", "value": target},
        {"eval": window},
        {"screenshot": "form"},
        {"click": "#replay-submit"},
        {"waitFor": "#replays-table tr[data-replay]"},
        {"until": "#/replays", "selector": '#replays-table td.state[data-state="completed"]', "timeout": 30000},
        {"eval": """(async () => {
            const row = document.querySelector('#replays-table tr[data-replay]');
            const api = await (await fetch('/console/api/replays', {credentials: 'same-origin'})).json();
            return {id: row.dataset.replay, records: row.querySelector('.records').textContent, api: api.replays};
          })()""", "as": "replay"},
        {"screenshot": "replays"},
    ], "replays")["replay"]
    [job] = shown["api"]
    assert (job["id"], job["stream"], job["to_stream"], job["state"]) == (shown["id"], source, target, "completed")
    assert job["records_replayed"] == len(records) and shown["records"] == str(len(records)), (shown, job)
    objects = server.wait_objects(target_bucket, total_bytes=sum(map(len, records)))
    assert sorted(b"".join(objects.values()).splitlines(keepends=True)) == sorted(records)
