"""Destination outages: each test keeps producers sending while the destination fails in one way,
clears the fault, and ends with every acknowledged record delivered exactly once (faults.account
over the destination bucket: nothing lost, nothing twice, no batch under two keys).

Remote faults go through FaultProxy, a small HTTP server between Hydrant and a real s3rver
(tests/e2e/test_remote_s3.py starts s3rver from tests/js) that forwards, answers 500/503, or
hangs, as told.
"""
import http.client
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from faults import Ledger, Producer, account, wait_delivered
from harness import wait_for
from test_remote_s3 import REMOTE_BUCKET, s3rver, s3rver_installed, write_config  # noqa: F401 (fixtures)

OUTAGE_S = 3
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection", "te", "upgrade"}
S3_ERRORS = {
    500: b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code>"
         b"<Message>We encountered an internal error. Please try again.</Message></Error>",
    503: b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>"
         b"<Message>Please reduce your request rate.</Message></Error>",
}


class FaultProxy:
    """Forwards S3 requests to `target_port` unless `mode` says otherwise:
    "pass"; 500 or 503 (an S3 error document); "hang" (read the request, never answer, close when
    the mode changes); "lose_response" (forward, so the object IS stored, then hang like "hang")."""

    def __init__(self, target_port):
        self.mode = "pass"
        self.counts = {}
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                mode = proxy.mode
                proxy.counts[mode] = proxy.counts.get(mode, 0) + 1
                if mode in (500, 503):
                    return self.reply(mode, {"Content-Type": "application/xml"}, S3_ERRORS[mode])
                if mode == "lose_response":
                    self.forward(body)
                if mode in ("hang", "lose_response"):
                    while proxy.mode == mode:
                        time.sleep(0.05)
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                status, headers, out = self.forward(body)
                self.reply(status, headers, out)

            def forward(self, body):
                # The Host header is kept: it is part of what the client signed.
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                connection = http.client.HTTPConnection("127.0.0.1", target_port, timeout=30)
                try:
                    connection.request(self.command, self.path, body=body, headers=headers)
                    response = connection.getresponse()
                    return response.status, dict(response.getheaders()), response.read()
                finally:
                    connection.close()

            def reply(self, status, headers, body):
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.mode = "pass"
        self.server.shutdown()
        self.server.server_close()


def remote_objects(s3rver):
    return s3rver.objects()


def run_outage(server, stream, ledger, start_fault, clear_fault, log_marker=None):
    """Producers run for 1 s, then through the fault (until log_marker shows up in the server
    log, and at least OUTAGE_S), then 1.5 s more after it clears."""
    with Producer(server, stream, ledger, tag=stream, threads=2, batch=(1, 30), pause=0.05):
        time.sleep(1)
        start_fault()
        started = time.monotonic()
        if log_marker:
            wait_for(lambda: log_marker in server.log_text(), timeout=20, message=f"{log_marker!r} in the log")
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - started)))
        clear_fault()
        time.sleep(1.5)
    assert len(ledger.acknowledged) > 100, ledger.stats


def test_embedded_bucket_missing_for_a_while(hydrant):
    """The stream's bucket does not exist while records arrive; it is created after OUTAGE_S."""
    hydrant.create_s3_stream("nobucket", "late-bucket", size_mb=1, interval_s=1)
    ledger = Ledger()
    run_outage(hydrant, "nobucket", ledger, start_fault=lambda: None,
               clear_fault=lambda: hydrant.s3().create_bucket(Bucket="late-bucket"),
               log_marker="late-bucket")
    objects = wait_delivered(lambda: hydrant.read_objects("late-bucket"), ledger, timeout=60)
    account(objects, ledger)


def test_remote_server_stopped_for_a_while(hydrant_factory, s3rver, tmp_path):
    s3rver.client().create_bucket(Bucket=REMOTE_BUCKET)
    server = hydrant_factory(config_file=write_config(tmp_path / "hydrant.yaml", s3rver))
    server.create_s3_stream("down", "logs", size_mb=1, interval_s=1)
    ledger, port = Ledger(), s3rver.port
    run_outage(server, "down", ledger, start_fault=s3rver.stop, clear_fault=lambda: s3rver.start(port=port),
               log_marker="S3.ConnectionError")
    account(wait_delivered(lambda: remote_objects(s3rver), ledger, timeout=90), ledger)


@pytest.mark.parametrize("mode, log_marker", [
    (500, "S3.InternalError"),
    (503, "S3.SlowDown"),
    ("hang", "S3."),
    ("lose_response", "S3."),
])
def test_remote_server_failing_for_a_while(hydrant_factory, s3rver, tmp_path, mode, log_marker):
    """500 InternalError, 503 SlowDown, requests that hang until curl's stall timeout (2 s), and
    uploads that succeed but whose response never arrives (the retry must reuse the key)."""
    s3rver.client().create_bucket(Bucket=REMOTE_BUCKET)
    proxy = FaultProxy(s3rver.port)
    try:
        config = tmp_path / "hydrant.yaml"
        write_config(config, s3rver, endpoint=proxy.endpoint, stall_timeout_seconds=2, connect_timeout_seconds=1)
        server = hydrant_factory(config_file=config)
        server.create_s3_stream("flaky", "logs", size_mb=1, interval_s=1)
        ledger = Ledger()

        def start_fault():
            proxy.mode = mode

        def clear_fault():
            proxy.mode = "pass"

        run_outage(server, "flaky", ledger, start_fault, clear_fault, log_marker=log_marker)
        objects = wait_delivered(lambda: remote_objects(s3rver), ledger, timeout=90)
        account(objects, ledger)
        assert proxy.counts.get(mode, 0) >= 1, proxy.counts
        print(f"requests by proxy mode: {proxy.counts}; objects: {len(objects)}")
    finally:
        proxy.close()


def test_wrong_credentials_then_fixed(hydrant_factory, s3rver, tmp_path):
    """Wrong access key under load: the data is kept; after the config is fixed (a restart, as
    the config file is read at start) everything acknowledged arrives once."""
    s3rver.client().create_bucket(Bucket=REMOTE_BUCKET)
    config = tmp_path / "hydrant.yaml"
    server = hydrant_factory(config_file=write_config(config, s3rver, access_key_id="WRONGKEY"))
    server.create_s3_stream("creds", "logs", size_mb=1, interval_s=1)
    ledger = Ledger()
    run_outage(server, "creds", ledger, start_fault=lambda: None, clear_fault=lambda: None,
               log_marker="S3.InvalidAccessKeyId")
    assert s3rver.objects() == {}
    assert server.stop() == 0
    write_config(config, s3rver)
    server.restart()
    account(wait_delivered(lambda: remote_objects(s3rver), ledger, timeout=90), ledger)
