"""Browser producers: a web page sends records with the AWS SDK for JavaScript v3, in Debian's
Chromium driven by puppeteer-core (tests/js/browser_producer.mjs).

The page (tests/js/browser/, the SDK bundled by esbuild) is served from its own origin; Hydrant
allows that origin (`cors: {allowed_origins: [...]}`) and gives the page a key whose policy lets
it put records into one stream and nothing else. A page from another origin is refused by the
browser itself (no CORS headers for it).
"""
import functools
import http.server
import json
import shutil
import subprocess
import threading

import pytest

from harness import REPO_ROOT, wait_for

JS_DIR = REPO_ROOT / "tests" / "js"
PAGE_KEY, PAGE_SECRET, STREAM, BUCKET = "AKIABROWSERPAGE00000", "page-secret", "web-clicks", "web-clicks-bucket"


@pytest.fixture(scope="module")
def page_dir(tmp_path_factory):
    """tests/js/browser/ with the SDK bundled into producer.js."""
    if shutil.which("node") is None:
        pytest.fail("node is not installed")
    if not (JS_DIR / "node_modules" / "puppeteer-core").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True, capture_output=True,
                       timeout=600)
    out = tmp_path_factory.mktemp("page")
    shutil.copy(JS_DIR / "browser" / "index.html", out / "index.html")
    subprocess.run([str(JS_DIR / "node_modules" / ".bin" / "esbuild"), str(JS_DIR / "browser" / "producer.mjs"),
                    "--bundle", "--format=iife", "--platform=browser", "--target=es2020",
                    f"--outfile={out / 'producer.js'}"], cwd=JS_DIR, check=True, capture_output=True, timeout=120)
    return out


def serve(directory):
    """A static file server for the page: its own origin (http://127.0.0.1:<port>)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run_in_browser(calls, screenshots):
    result = subprocess.run(["node", str(JS_DIR / "browser_producer.mjs")], cwd=JS_DIR, capture_output=True,
                            text=True, timeout=180,
                            env={"PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(screenshots),
                                 "HYDRANT_CALLS": json.dumps(calls), "HYDRANT_SCREENSHOTS": str(screenshots)})
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_web_page_puts_records_and_can_do_nothing_else(hydrant_factory, page_dir, tmp_path):
    allowed, other = serve(page_dir), serve(page_dir)
    allowed_origin = f"http://127.0.0.1:{allowed.server_address[1]}"
    config = tmp_path / "hydrant.yaml"
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"],
        "Resource": f"arn:aws:firehose:*:123456789012:deliverystream/{STREAM}"}]}
    from harness import ACCESS_KEY, SECRET_KEY
    config.write_text(json.dumps({
        "cors": {"allowed_origins": [allowed_origin]},
        "credentials": [{"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY},
                        {"access_key_id": PAGE_KEY, "secret_access_key": PAGE_SECRET, "policy": policy}]}))
    server = hydrant_factory(config_file=config)
    server.s3().create_bucket(Bucket=BUCKET)
    server.create_s3_stream(STREAM, BUCKET, interval_s=1)
    page_credentials = {"accessKeyId": PAGE_KEY, "secretAccessKey": PAGE_SECRET}
    page = f"{allowed_origin}/index.html"
    other_page = f"http://127.0.0.1:{other.server_address[1]}/index.html"
    screenshots = tmp_path / "screenshots"
    screenshots.mkdir()
    try:
        put, batch, delete, foreign = run_in_browser([
            {"page": page, "call": "put", "args": [server.endpoint, page_credentials, STREAM, "click 1\n"]},
            {"page": page, "call": "putBatch", "args": [server.endpoint, page_credentials, STREAM,
                                                        ["click 2\n", "click 3\n"]]},
            {"page": page, "call": "deleteStream", "args": [server.endpoint, page_credentials, STREAM]},
            {"page": other_page, "call": "put", "args": [server.endpoint, page_credentials, STREAM, "x\n"]},
        ], screenshots)
    finally:
        allowed.shutdown()
        other.shutdown()
    assert put["ok"] and len(put["recordId"]) > 0, put
    assert batch == {"ok": True, "failed": 0}, batch
    assert (delete["ok"], delete["name"], delete["status"]) == (False, "AccessDeniedException", 400), delete
    assert "is not authorized to perform: firehose:DeleteDeliveryStream" in delete["message"]
    # Another origin: the browser refuses to read the answer (no CORS headers), so the SDK sees a
    # network failure and the request never counts as allowed.
    assert not foreign["ok"] and foreign["status"] is None, foreign
    assert len(list(screenshots.glob("*.png"))) == 4
    objects = server.wait_objects(BUCKET, total_bytes=len(b"click 1\nclick 2\nclick 3\n"))
    assert b"".join(objects[k] for k in sorted(objects)) == b"click 1\nclick 2\nclick 3\n"
    assert STREAM in server.firehose().list_delivery_streams()["DeliveryStreamNames"]


def test_preflight_answers_only_allowed_origins(hydrant_factory, tmp_path):
    config = tmp_path / "hydrant.yaml"
    config.write_text('cors: {allowed_origins: ["https://shop.example.com"]}\n')
    server = hydrant_factory(config_file=config)
    headers = {"Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "authorization,content-type,x-amz-date,x-amz-target,x-amz-user-agent"}
    response = server.raw(method="OPTIONS", headers=headers, sign=False)
    assert response.status == 200
    assert response.headers["access-control-allow-origin"] == "https://shop.example.com"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"] == headers["Access-Control-Request-Headers"]
    # An actual call from that origin carries the headers, errors included.
    answered = server.raw(target="ListDeliveryStreams", body={}, headers={"Origin": "https://shop.example.com"})
    assert answered.headers["access-control-allow-origin"] == "https://shop.example.com"
    assert "x-amzn-RequestId" in answered.headers["access-control-expose-headers"]
    # Any other origin gets none.
    other = server.raw(method="OPTIONS", headers={**headers, "Origin": "https://evil.example.com"}, sign=False)
    assert "access-control-allow-origin" not in other.headers
    plain = server.raw(target="ListDeliveryStreams", body={}, headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in plain.headers
