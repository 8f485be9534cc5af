"""A strict Firehose HTTP-endpoint receiver: the test peer for Hydrant's HTTP endpoint destination.

No third-party receiver can be installed here (OpenTelemetry Collector's awsfirehosereceiver,
Vector's aws_kinesis_firehose source and Grafana Alloy's loki.source.awsfirehose all ship outside
Debian and npm), so the suites use this one, written from the public spec (AWS "Understand HTTP
endpoint delivery request and response specifications"; shared/reference/destinations.md §2 and
firehose-spec.md §7). It enforces the union of the real receivers' rules, read for reference only.

    with FirehoseReceiver(access_key="k") as rx:       # listens on 127.0.0.1, a free port
        ... point a stream at rx.url, put records ...
        assert rx.wait_for_records(3) == [b"a", b"b", b"c"]
        assert rx.violations == []

Every request is checked; a protocol violation answers 400 with a conforming error body and is
appended to .violations. A wrong or missing access key (when one is expected) answers 401 with a
JSON body, like OTel, and is not a violation: tests provoke it on purpose. Otherwise the current mode
decides the answer (set_mode); only such requests count against a mode's `times`. Only a
conforming 200 counts as delivered (outcomes ok, slow, timestamp_as_string); bad_json and
wrong_request_id answer 200 but the spec makes them failures. Each request is recorded before it
is answered, so once the sender has its answer the test sees it. Stdlib only (Python 3.11).

.requests entries: method, path (target verbatim), headers (lower-cased keys), body (raw bytes),
json (decoded body or None), request_id, records (list of bytes or None), outcome (a mode name,
"violation", "unauthorized", or "stopped" for a slow answer cut by stop()), status (None: no
answer), errors (this request's violations), received (time.time()).
"""
import base64
import gzip
import json
import os
import re
import socket
import ssl
import struct
import threading
import time
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
ARN_RE = re.compile(r"arn:aws:firehose:[a-z0-9-]+:\d{12}:deliverystream/[a-zA-Z0-9_.-]{1,64}")
REDIRECT_PATH = "/firehose-receiver-redirected"
DAY_MS = 86_400_000
MAX_RECORD = 1_024_000
MODES = ("ok", "status", "redirect", "slow", "reset", "bad_json", "wrong_request_id",
         "timestamp_as_string")
SUCCESS = ("ok", "slow", "timestamp_as_string")  # outcomes a sender must treat as delivered
ONCE = ("x-amz-firehose-request-id", "x-amz-firehose-source-arn", "x-amz-firehose-access-key",
        "x-amz-firehose-protocol-version", "x-amz-firehose-common-attributes", "content-type",
        "content-length", "content-encoding")


def _ms():
    return int(time.time() * 1000)


def _strict_object(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError(f"duplicate JSON member in {keys}")
    return dict(pairs)


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")


def _parse_json(data):
    return json.loads(data.decode("utf-8"), object_pairs_hook=_strict_object,
                      parse_constant=_no_constant)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real sender's HTTP client uses it

    def setup(self):
        super().setup()
        self.server.receiver._track(self.connection, add=True)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.receiver._track(self.connection, add=False)

    def do_POST(self):
        self.server.receiver._handle(self)

    do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_POST

    def log_message(self, *args):  # quiet: tests read .requests instead
        pass


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # socketserver's default 5 resets bursts of parallel deliveries

    def handle_error(self, request, client_address):  # clients that time out or vanish are normal
        pass


class FirehoseReceiver:
    def __init__(self, port=0, path="/firehose?receiver=1", access_key=None,
                 common_attributes=None, source_arn=None, tls=None):
        """port: 0 for a free one, or an old receiver's .port to restart on it. path: request
        target (path and query) the sender must use verbatim. access_key: expected
        X-Amz-Firehose-Access-Key (None: not checked). common_attributes: expected dict of the
        X-Amz-Firehose-Common-Attributes header (None: only its shape is checked when present).
        source_arn: expected X-Amz-Firehose-Source-Arn (None: only its shape is checked).
        tls: (certificate PEM, key PEM) to serve https instead of http."""
        self.path, self.access_key = path, access_key
        self.common_attributes, self.source_arn = common_attributes, source_arn
        self.requests, self.violations = [], []
        self._cond = threading.Condition()
        self._mode = ("ok", None, None)  # name, argument, requests left (None: until changed)
        self._conns, self._stopping = set(), threading.Event()
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.receiver = self
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}{path}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name=f"firehose-receiver-{self.port}")
        self._thread.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        """Stops listening and cuts open keep-alive connections, so the sender sees it down."""
        if self._stopping.is_set():
            return
        self._stopping.set()  # also wakes handlers sleeping in slow mode
        self._server.shutdown()
        self._server.server_close()
        with self._cond:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(5)

    # ---- modes -------------------------------------------------------------------------------
    def set_mode(self, name, arg=None, *, times=None):
        """ok | status CODE | redirect [CODE=302] | slow SECONDS | reset | bad_json |
        wrong_request_id | timestamp_as_string; times=n: for the next n requests, then ok."""
        if name not in MODES:
            raise ValueError(f"unknown mode {name!r}")
        if name in ("status", "slow") and arg is None:
            raise ValueError(f"mode {name} needs an argument")
        if name == "redirect":
            arg = arg or 302
        with self._cond:
            self._mode = ("ok", None, None) if times == 0 else (name, arg, times)

    @property
    def mode(self):
        with self._cond:
            return self._mode

    def _take_mode(self):
        name, arg, left = self._mode
        if left is not None:
            self._mode = (name, arg, left - 1) if left > 1 else ("ok", None, None)
        return name, arg

    # ---- results -----------------------------------------------------------------------------
    def records(self):
        """Record bytes of every successful request, in answer order (duplicates included)."""
        with self._cond:
            return [r for e in self.requests if e["outcome"] in SUCCESS for r in e["records"]]

    def records_by_request_id(self):
        """request id -> its records, for each distinct successful request id (first answer)."""
        out = {}
        with self._cond:
            for e in self.requests:
                if e["outcome"] in SUCCESS:
                    out.setdefault(e["request_id"], e["records"])
        return out

    def unique_records(self):
        """Records deduplicated by request id: what an idempotent receiver would keep."""
        return [r for recs in self.records_by_request_id().values() for r in recs]

    def wait_for_records(self, n, timeout=30.0):
        """Waits until records() holds at least n records and returns records()."""
        with self._cond:
            ok = self._cond.wait_for(lambda: len(self.records()) >= n, timeout)
            if not ok:
                seen = [(e["status"], e["outcome"], len(e["records"] or ())) for e in self.requests]
                raise AssertionError(f"timed out after {timeout}s waiting for {n} records; "
                                     f"requests (status, outcome, records): {seen}; "
                                     f"violations: {self.violations}")
        return self.records()

    def clear(self):
        with self._cond:
            self.requests.clear()
            self.violations.clear()

    def _track(self, conn, add):
        with self._cond:
            (self._conns.add if add else self._conns.discard)(conn)

    # ---- checking ----------------------------------------------------------------------------
    def _check_headers(self, msg, hd, errs):
        errs += [f"header {n} sent more than once" for n in ONCE if len(msg.get_all(n) or ()) > 1]
        if hd.get("content-type") != "application/json":
            errs.append(f"Content-Type {hd.get('content-type')!r}, expected 'application/json'")
        if hd.get("x-amz-firehose-protocol-version") != "1.0":
            errs.append("X-Amz-Firehose-Protocol-Version "
                        f"{hd.get('x-amz-firehose-protocol-version')!r}, expected '1.0'")
        if not GUID_RE.fullmatch(hd.get("x-amz-firehose-request-id", "")):
            errs.append(f"X-Amz-Firehose-Request-Id {hd.get('x-amz-firehose-request-id')!r} is not a GUID")
        arn = hd.get("x-amz-firehose-source-arn")
        if not ARN_RE.fullmatch(arn or ""):
            errs.append(f"X-Amz-Firehose-Source-Arn {arn!r} is not a delivery stream ARN")
        elif self.source_arn is not None and arn != self.source_arn:
            errs.append(f"X-Amz-Firehose-Source-Arn {arn!r}, expected {self.source_arn!r}")
        if hd.get("content-encoding", "gzip") != "gzip":
            errs.append(f"Content-Encoding {hd['content-encoding']!r}, expected absent or 'gzip'")
        raw = hd.get("x-amz-firehose-common-attributes")
        attrs = None
        if raw is not None:
            try:
                doc = _parse_json(raw.encode("utf-8"))
                attrs = doc["commonAttributes"]
                assert list(doc) == ["commonAttributes"] and isinstance(attrs, dict)
                assert len(attrs) <= 50 and all(isinstance(v, str) and 1 <= len(k) <= 256
                                                and len(v) <= 1024 for k, v in attrs.items())
            except (ValueError, KeyError, TypeError, AssertionError):
                errs.append(f"X-Amz-Firehose-Common-Attributes {raw!r} is not "
                            '{"commonAttributes":{<name>:<string>,...}} (≤50, names 1-256, values ≤1024)')
                attrs = None
        if self.common_attributes is not None and attrs != self.common_attributes:
            errs.append(f"common attributes {attrs!r}, expected {self.common_attributes!r}")

    def _check_body(self, raw, hd, rid, now, errs):
        """Returns (decoded JSON or None, record bytes or None)."""
        body = raw
        if hd.get("content-encoding") == "gzip":
            try:
                body = gzip.decompress(raw)
            except (OSError, EOFError, zlib.error) as e:
                errs.append(f"Content-Encoding gzip but the body does not gunzip: {e}")
                return None, None
        try:
            doc = _parse_json(body)
        except ValueError as e:
            errs.append(f"body is not UTF-8 JSON: {e}")
            return None, None
        if not isinstance(doc, dict):
            errs.append("body is not a JSON object")
            return doc, None
        if sorted(doc) != ["records", "requestId", "timestamp"]:
            errs.append(f"body members {sorted(doc)}, expected exactly requestId, timestamp, records")
        if doc.get("requestId") != rid:
            errs.append(f"body requestId {doc.get('requestId')!r} differs from the header's {rid!r}")
        ts = doc.get("timestamp")
        if type(ts) is not int:
            errs.append(f"timestamp {ts!r} is not an integer (epoch ms)")
        elif abs(ts - now) > DAY_MS:
            errs.append(f"timestamp {ts} is not within a day of now ({now} ms; seconds sent?)")
        recs = doc.get("records")
        if not isinstance(recs, list) or not 1 <= len(recs) <= 10000:
            errs.append(f"records must be a list of 1-10000 entries, got {type(recs).__name__}"
                        f"{f' of {len(recs)}' if isinstance(recs, list) else ''}")
            return doc, None
        out = []
        for i, r in enumerate(recs):  # stop at the first bad record: one message, not 10000
            if not isinstance(r, dict) or list(r) != ["data"] or not isinstance(r["data"], str):
                errs.append(f"records[{i}] is {str(r)[:80]}, expected {{\"data\": <base64 string>}}")
                return doc, None
            try:
                out.append(base64.b64decode(r["data"], validate=True))
            except ValueError as e:
                errs.append(f"records[{i}].data is not valid base64: {e}")
                return doc, None
            if len(out[-1]) > MAX_RECORD:
                errs.append(f"records[{i}] is {len(out[-1])} bytes, more than {MAX_RECORD}")
        return doc, out

    # ---- one request -------------------------------------------------------------------------
    def _handle(self, h):
        received, now = time.time(), _ms()
        hd = {k.lower(): v for k, v in h.headers.items()}
        rid = hd.get("x-amz-firehose-request-id", "")
        errs, raw, doc, records = [], b"", None, None
        if h.command != "POST":
            errs.append(f"method {h.command}, expected POST")
        if h.path == REDIRECT_PATH:
            errs.append("the sender followed a redirect (it must not)")
        elif h.path != self.path:
            errs.append(f"request target {h.path!r}, expected {self.path!r} verbatim")
        self._check_headers(h.headers, hd, errs)
        length = hd.get("content-length", "")
        if not length.isdigit() or "transfer-encoding" in hd:
            errs.append(f"Content-Length {length or None!r} with Transfer-Encoding "
                        f"{hd.get('transfer-encoding')!r}: expected a Content-Length only")
            h.close_connection = True  # the body cannot be delimited: drop the connection after
        else:
            raw = h.rfile.read(int(length))
            if len(raw) != int(length):
                errs.append(f"body ended after {len(raw)} of {length} bytes")
            doc, records = self._check_body(raw, hd, rid, now, errs)

        # Record before answering: once the sender has its answer, the test can see the request.
        with self._cond:
            if errs:
                outcome, arg, status = "violation", None, 400
                self.violations += [f"{h.command} {h.path} [{rid}]: {e}" for e in errs]
            elif self.access_key is not None and hd.get("x-amz-firehose-access-key") != self.access_key:
                outcome, arg, status = "unauthorized", None, 401
            else:
                outcome, arg = self._take_mode()
                status = arg if outcome in ("status", "redirect") else None if outcome == "reset" else 200
            if records is not None and rid:  # a retry must carry the same batch as its first try
                first = next((e for e in self.requests if e["request_id"] == rid
                              and e["records"] is not None), None)
                if first is not None and first["records"] != records:
                    self.violations.append(f"request id {rid} reused for different records")
            entry = {
                "method": h.command, "path": h.path, "headers": hd, "body": raw, "json": doc,
                "request_id": rid, "records": records, "outcome": outcome, "status": status,
                "errors": errs, "received": received}
            self.requests.append(entry)
            self._cond.notify_all()
        self._answer(h, entry, arg)

    def _answer(self, h, entry, arg):
        """Sends the answer the outcome calls for (reset: none, the connection is torn down)."""
        outcome, rid, errs = entry["outcome"], entry["request_id"], entry["errors"]
        ok = {"requestId": rid, "timestamp": _ms()}
        status, body, extra = 200, ok, ()
        if outcome in ("violation", "unauthorized", "status"):
            status = {"violation": 400, "unauthorized": 401}.get(outcome, arg)
            message = {"violation": "; ".join(errs), "unauthorized": "Invalid access key"}.get(
                outcome, f"firehose_receiver: status mode {arg}")
            body = dict(ok, errorMessage=message[:8192])
        elif outcome == "redirect":  # to this receiver, so a sender that follows it is caught
            status, extra = arg, [("Location", f"http://127.0.0.1:{self.port}{REDIRECT_PATH}")]
        elif outcome == "bad_json":
            body = b"this is not JSON {"
        elif outcome == "wrong_request_id":
            body = dict(ok, requestId=str(uuid.uuid4()))
        elif outcome == "timestamp_as_string":  # as in the spec's own failure example
            body = dict(ok, timestamp=str(ok["timestamp"]))
        elif outcome == "slow" and self._stopping.wait(arg):  # stopped meanwhile: never answer
            with self._cond:
                entry.update(outcome="stopped", status=None)
            h.close_connection = True
            return
        try:
            if outcome == "reset":  # RST instead of FIN: SO_LINGER 0, then close the fd at once
                h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                h.close_connection = True
                os.close(h.connection.detach())
                return
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            for k, v in extra:
                h.send_header(k, v)
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(data)
        except OSError:  # the sender gave up (timeout) or the receiver is stopping
            h.close_connection = True


# ---- self-check: python3 tests/e2e/firehose_receiver.py ----------------------------------------
if __name__ == "__main__":
    import http.client

    ARN = "arn:aws:firehose:us-east-1:123456789012:deliverystream/s1"

    def post(rx, recs, rid=None, timeout=5, conn=None, edit=None, method="POST", path=None):
        rid = rid or str(uuid.uuid4())
        doc = {"requestId": rid, "timestamp": _ms(),
               "records": [{"data": base64.b64encode(r).decode()} for r in recs]}
        hd = {"Content-Type": "application/json", "X-Amz-Firehose-Protocol-Version": "1.0",
              "X-Amz-Firehose-Request-Id": rid, "X-Amz-Firehose-Source-Arn": ARN,
              "X-Amz-Firehose-Access-Key": "key",
              "X-Amz-Firehose-Common-Attributes": '{"commonAttributes":{"a":"1"}}'}
        if edit:
            edit(doc, hd)
        body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
        if hd.get("Content-Encoding") == "gzip":
            body = gzip.compress(body)
        c = conn or http.client.HTTPConnection("127.0.0.1", rx.port, timeout=timeout)
        c.request(method, path or rx.path, body, hd)
        resp = c.getresponse()
        return resp.status, resp.getheader("Location"), resp.read(), rid

    with FirehoseReceiver(access_key="key", common_attributes={"a": "1"}) as rx:
        st, _, body, rid = post(rx, [b"a", b""])
        assert st == 200 and json.loads(body)["requestId"] == rid, body
        assert post(rx, [b"gz"], edit=lambda d, h: h.update({"Content-Encoding": "gzip"}))[0] == 200
        assert rx.records() == [b"a", b"", b"gz"] and rx.violations == []
        assert rx.requests[0]["path"] == "/firehose?receiver=1"
        assert rx.requests[1]["headers"]["content-encoding"] == "gzip"
        bad = [lambda d, h: h.pop("X-Amz-Firehose-Source-Arn"),
               lambda d, h: h.update({"X-Amz-Firehose-Request-Id": "nope"}),
               lambda d, h: h.update({"Content-Type": "text/plain"}),
               lambda d, h: h.update({"Content-Encoding": "deflate"}),
               lambda d, h: h.update({"X-Amz-Firehose-Common-Attributes": '{"a":1}'}),
               lambda d, h: d.update({"timestamp": _ms() // 1000}),
               lambda d, h: d.update({"extra": 1}),
               lambda d, h: d.update({"requestId": str(uuid.uuid4())}),
               lambda d, h: d.update({"records": []}),
               lambda d, h: d["records"].append({"data": "!!"}),
               lambda d, h: d["records"].append({"data": "", "x": 1})]
        for i, edit in enumerate(bad):
            before = len(rx.violations)
            st, _, body, _ = post(rx, [b"x"], edit=edit)
            assert st == 400 and len(rx.violations) > before, (i, rx.violations)
            assert json.loads(body)["errorMessage"]
        assert post(rx, [b"x"], method="PUT")[0] == 400
        assert post(rx, [b"x"], path="/other")[0] == 400
        before = len(rx.violations)
        st, _, body, _ = post(rx, [b"x"], edit=lambda d, h: h.update({"X-Amz-Firehose-Access-Key": "no"}))
        assert st == 401 and "errorMessage" in json.loads(body) and len(rx.violations) == before
        assert rx.records() == [b"a", b"", b"gz"]
        rx.clear()

        rx.set_mode("status", 503, times=2)
        assert [post(rx, [b"s"], rid=rid)[0] for _ in range(3)] == [503, 503, 200]
        rx.set_mode("status", 413, times=1)
        st, _, body, _ = post(rx, [b"big"])
        assert st == 413 and json.loads(body)["errorMessage"]
        rx.set_mode("redirect", 307, times=1)
        st, loc, _, _ = post(rx, [b"r"])
        assert st == 307 and loc.endswith(REDIRECT_PATH)
        assert post(rx, [b"r"], path=REDIRECT_PATH)[0] == 400 and "redirect" in rx.violations[-1]
        rx.violations.clear()
        for mode, check in [("bad_json", lambda b: b == b"this is not JSON {"),
                            ("wrong_request_id", lambda b: json.loads(b)["requestId"] != rid2),
                            ("timestamp_as_string", lambda b: isinstance(json.loads(b)["timestamp"], str))]:
            rx.set_mode(mode, times=1)
            rid2 = str(uuid.uuid4())
            st, _, body, _ = post(rx, [mode.encode()], rid=rid2)
            assert st == 200 and check(body), (mode, body)
        assert rx.mode == ("ok", None, None)
        rx.set_mode("reset", times=1)
        try:
            post(rx, [b"reset"])
            raise AssertionError("reset mode answered")
        except ConnectionResetError:
            pass
        rx.set_mode("slow", 1.0, times=1)
        try:
            post(rx, [b"s"], rid=rid, timeout=0.3)
            raise AssertionError("slow mode answered in time")
        except TimeoutError:
            pass
        assert post(rx, [b"s"], rid=rid)[0] == 200  # the retry of a batch keeps its request id
        got = rx.wait_for_records(4, timeout=5)
        assert got == [b"s", b"timestamp_as_string", b"s", b"s"], got
        assert rx.unique_records() == [b"s", b"timestamp_as_string"], rx.unique_records()
        assert [e["outcome"] for e in rx.requests][-4:] == ["timestamp_as_string", "reset", "slow", "ok"]
        assert rx.violations == []
        post(rx, [b"different"], rid=rid)
        assert rx.violations == [f"request id {rid} reused for different records"]
        try:
            rx.wait_for_records(100, timeout=0.2)
            raise AssertionError("wait_for_records did not time out")
        except AssertionError as e:
            assert "timed out" in str(e)
        keep = http.client.HTTPConnection("127.0.0.1", rx.port, timeout=5)
        assert post(rx, [b"k"], conn=keep)[0] == 200
        port = rx.port

    try:  # stop() cut the keep-alive connection too
        post(rx, [b"k"], conn=keep)
        raise AssertionError("a stopped receiver answered")
    except (OSError, http.client.HTTPException):
        pass
    with FirehoseReceiver(port=port, path="/p?q=a%20b&r") as rx2:  # restart on the same port
        assert rx2.url == f"http://127.0.0.1:{port}/p?q=a%20b&r"
        assert post(rx2, [b"again"], edit=lambda d, h: h.pop("X-Amz-Firehose-Access-Key"))[0] == 200
        assert rx2.records() == [b"again"] and rx2.violations == []
    print("firehose_receiver self-check passed")
