"""A Splunk HTTP Event Collector (HEC) receiver: the test peer for Hydrant's Splunk destination.

No Splunk can run on this machine (not in Debian, not on npm), so this receiver is written from
Splunk's public HEC documentation: "Format events for HTTP Event Collector", "HTTP Event Collector
REST API endpoints", "About HTTP Event Collector Indexer Acknowledgment" and the status-code table
of "Troubleshoot HTTP Event Collector"; shared/reference/destinations.md §4 has the wire facts.
A test using it must say that no real server ran.

    with SplunkReceiver(token="t") as hec:             # listens on 127.0.0.1, a free port
        ... point a stream's HECEndpoint at hec.url, put records ...
        hec.wait_for_events(3)
        assert [e["event"] for e in hec.events()] == [{"a": 1}, ...]

Endpoints: POST /services/collector[/event] (concatenated HEC event objects), POST
/services/collector/raw (text, one event per line; metadata from ?sourcetype=&source=&host=&index=),
POST /services/collector/ack ({"acks":[ids]}), GET /services/collector/health; each also under
/1.0. Bodies may be gzip (Content-Encoding). Auth: "Authorization: Splunk <token>", all but health.
Channel: X-Splunk-Request-Channel or ?channel= (a GUID), required while ack_enabled.
Acks: each accepted batch gets the channel's next ackId (from 0); it is "indexed" index_delay
seconds after arrival (never, if it arrived under never_index(True)). An ack query answers true
once for an indexed, outstanding id, then forgets it (a later query answers false), as Splunk does.
An invalid event rejects the whole request: nothing of it is stored.
Faults (thread-safe, any time): fail_requests, outage, set_delay, disable_token, never_index.

.requests entries: method, path (target verbatim), headers (lower-cased keys), body (raw bytes),
data (body after gunzip), channel, status (None: no answer), response (the JSON answer), code (its
HEC code), outcome (ok | error (an HEC error answer) | failed (fail_requests) | outage | stopped (a
delay cut by stop())), received (time.time()).
.ack_queries entries: channel, acks (the ids asked), answer ({"<id>": bool}), received.
Events (events(), received_events()): event (payload), time, host, source, sourcetype, index, fields
(None when not sent), channel, ackId (None without ack), endpoint ("event" | "raw"), indexed, received.
"""
import copy
import gzip
import json
import os
import re
import socket
import struct
import threading
import time
import zlib
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

from loopback_server import LoopbackServer

TEST_TOKEN = "00000000-1111-2222-3333-444444444444"  # HEC tokens are GUIDs
GUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
CODES = {  # HEC code -> (HTTP status, text), from "Troubleshoot HTTP Event Collector"
    0: (200, "Success"), 1: (403, "Token disabled"), 2: (401, "Token is required"),
    3: (401, "Invalid authorization"), 4: (403, "Invalid token"), 5: (400, "No data"),
    6: (400, "Invalid data format"), 7: (400, "Incorrect index"), 8: (500, "Internal server error"),
    9: (503, "Server is busy"), 10: (400, "Data channel is missing"), 11: (400, "Invalid data channel"),
    12: (400, "Event field is required"), 13: (400, "Event field cannot be blank"),
    14: (400, "ACK is disabled"), 15: (400, "Error in handling indexed fields"),
    17: (200, "HEC is healthy"), 18: (503, "HEC is unhealthy, queues are full"),
    19: (503, "HEC is unhealthy, ack service unavailable"),
    20: (503, "HEC is unhealthy, queues are full, ack service unavailable")}
STATUS_CODE = {400: 6, 401: 2, 403: 1, 500: 8, 503: 9}  # fail_requests(<HTTP status>) -> HEC code
PER_EVENT = (6, 12, 13, 15)  # errors that name the offending event ("invalid-event-number")
ROUTES = {"/services/collector": "event", "/services/collector/event": "event",
          "/services/collector/raw": "raw", "/services/collector/ack": "ack",
          "/services/collector/health": "health"}
META = ("time", "host", "source", "sourcetype", "index", "fields")
NOT_FOUND = (404, {"text": "The requested URL was not found on this server.", "code": 404})


def _hec(code, **extra):
    """(status, HEC answer body) for a code of the table."""
    status, text = CODES[code]
    return status, dict({"text": text, "code": code}, **extra)


class _BadEvent(Exception):
    def __init__(self, code, number):
        super().__init__(code, number)
        self.code, self.number = code, number


def _parse_events(data):
    """The event endpoint's body (objects, whitespace between allowed) as a list of event dicts,
    or _BadEvent(code, 0-based number of the offending event)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _BadEvent(6, 0) from None
    decoder, events, pos = json.JSONDecoder(), [], 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            return events
        try:
            obj, pos = decoder.raw_decode(text, pos)
        except ValueError:
            raise _BadEvent(6, len(events)) from None
        if not isinstance(obj, dict):
            raise _BadEvent(6, len(events))
        if "event" not in obj:
            raise _BadEvent(12, len(events))
        if obj["event"] is None or (isinstance(obj["event"], str) and not obj["event"].strip()):
            raise _BadEvent(13, len(events))
        events.append(dict({k: obj.get(k) for k in META}, event=obj["event"]))


class SplunkReceiver:
    def __init__(self, port=0, *, token=TEST_TOKEN, ack_enabled=True, index_delay=0.0, tls=None):
        """port: 0 for a free one, or an old receiver's .port to restart on it. token: the HEC
        token to require. ack_enabled: indexer acknowledgement on the token (then a channel is
        required and answers carry ackIds). index_delay: seconds from a batch's arrival until it
        counts as indexed (acked). tls: (certificate PEM, key PEM) to serve https instead of http."""
        self.token, self.ack_enabled, self._initial_delay = token, ack_enabled, index_delay
        self.requests, self.ack_queries = [], []
        self._cond = threading.Condition(threading.RLock())
        self._batches = []   # accepted batches, in arrival order (see _ingest)
        self._channels = {}  # guid -> {"next": next ackId, "pending": {ackId: batch}}, first-use order
        self.clear_faults()
        self._http = LoopbackServer(self, port, tls, "splunk-receiver")
        self.port, self.url, self._stopping = self._http.port, self._http.url, self._http.stopping

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        """Stops listening and cuts open keep-alive connections, so the sender sees it down."""
        self._http.stop()

    # ---- faults and switches -----------------------------------------------------------------
    def fail_requests(self, code_or_status, *, times=1):
        """The next `times` data requests (event/raw posts that pass auth and channel checks; None:
        until clear_faults) answer an HEC error and store nothing. Below 100: an HEC code of the
        table (9 busy, 8 internal error, 6 invalid data format, 1 token disabled, 18-20 unhealthy
        ...). 100 or more: an HTTP status, with its HEC code from the table (503 -> 9, 500 -> 8,
        400 -> 6, 403 -> 1, 401 -> 2), or for other statuses {"text": <reason phrase>} alone."""
        if code_or_status < 100 or code_or_status in STATUS_CODE:
            code = STATUS_CODE.get(code_or_status, code_or_status)
            answer = _hec(code, **({"invalid-event-number": 0} if code in PER_EVENT else {}))
        else:
            answer = (code_or_status, {"text": HTTPStatus(code_or_status).phrase})
        with self._cond:
            self._fault = {"answer": answer, "left": times}

    def outage(self, on=True):
        """While on, every request is read and recorded, then its connection reset unanswered."""
        with self._cond:
            self._outage = on

    def set_delay(self, seconds, *, times=None):
        """Answers `seconds` late (the next `times` requests; None: until changed). Batches are
        stored (and their ack clock started) before the wait, as by a Splunk that accepted the
        data but answered late: a sender that times out and retries duplicates them."""
        with self._cond:
            self._delay = (seconds, times)

    def disable_token(self, on=True):
        """While on, the (right) token answers 403 {"text":"Token disabled","code":1}."""
        with self._cond:
            self._token_disabled = on

    def never_index(self, on=True):
        """While on, new batches are accepted (ackId given, events received) but never indexed:
        their acks stay false forever, to drive the sender's ack timeout."""
        with self._cond:
            self._never = on

    def set_index_delay(self, seconds):
        """Seconds from arrival until a batch counts as indexed, for batches arriving from now."""
        with self._cond:
            self._index_delay = seconds

    def clear_faults(self):
        """Back to a healthy receiver: no injected failures, outage, delays, or switches."""
        with self._cond:
            self._fault, self._outage, self._delay = None, False, (0, None)
            self._token_disabled, self._never, self._index_delay = False, False, self._initial_delay

    # ---- results -----------------------------------------------------------------------------
    def received_events(self):
        """Every accepted event (copies), indexed or not, in arrival order."""
        with self._cond:
            return [dict(copy.deepcopy(e), indexed=self._indexed(b))
                    for b in self._batches for e in b["events"]]

    def events(self):
        """The indexed events (copies), in arrival order."""
        return [e for e in self.received_events() if e["indexed"]]

    def wait_for_events(self, n, timeout=30.0, *, indexed=True):
        """Waits until at least n events are indexed (indexed=False: received) and returns them.
        Polls: indexing happens by the clock, not by a request that could notify."""
        deadline = time.monotonic() + timeout
        get = self.events if indexed else self.received_events
        with self._cond:
            while len(got := get()) < n:
                if time.monotonic() >= deadline:
                    seen = [(r["path"], r["status"], r["code"]) for r in self.requests]
                    raise AssertionError(f"timed out after {timeout}s waiting for {n} "
                                         f"{'indexed' if indexed else 'received'} events (have "
                                         f"{len(got)}); requests (path, status, code): {seen}")
                self._cond.wait(min(0.05, deadline - time.monotonic()))
        return got

    def channels(self):
        """Channels that carried data, in first-use order."""
        with self._cond:
            return list(self._channels)

    def outstanding(self, channel):
        """The channel's ackIds not yet reported true (sorted)."""
        with self._cond:
            return sorted(self._channels.get(channel, {}).get("pending", ()))

    def reset(self):
        """Forgets events, channels, ackIds, recorded requests and ack queries, and faults."""
        with self._cond:
            self._batches.clear()
            self._channels.clear()
            self.requests.clear()
            self.ack_queries.clear()
            self.clear_faults()

    @staticmethod
    def _indexed(batch):
        return batch["indexed_at"] is not None and time.monotonic() >= batch["indexed_at"]

    # ---- one request -------------------------------------------------------------------------
    def _handle(self, h):
        hd = {k.lower(): v for k, v in h.headers.items()}
        entry = {"method": h.command, "path": h.path, "headers": hd, "body": b"", "data": None,
                 "channel": None, "status": None, "response": None, "code": None, "outcome": "ok",
                 "received": time.time()}
        readable = self._read_body(h, hd, entry)
        with self._cond:
            outage, (delay, left) = self._outage, self._delay
            if delay and left is not None:
                self._delay = (delay, left - 1) if left > 1 else (0, None)
        status = payload = None
        if outage:
            entry["outcome"] = "outage"
        else:
            status, payload = self._respond(h, hd, entry) if readable else _hec(6)
            if entry["outcome"] == "ok" and status != 200:
                entry["outcome"] = "error"
        # Record before answering: once the sender has its answer, the test can see the request.
        with self._cond:
            entry.update(status=status, response=payload, code=(payload or {}).get("code"))
            self.requests.append(entry)
            self._cond.notify_all()
        if outage:  # RST instead of FIN: SO_LINGER 0, then close the fd at once
            h.close_connection = True
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            os.close(h.connection.detach())
        elif delay and self._stopping.wait(delay):  # stopped meanwhile: never answer
            with self._cond:
                entry.update(outcome="stopped", status=None)
            h.close_connection = True
        else:
            self._send(h, status, payload)

    def _read_body(self, h, hd, entry):
        """Fills entry body (raw) and data (gunzipped); False if the body cannot be read."""
        try:
            if "transfer-encoding" in hd:  # Splunk takes chunked bodies; this receiver answers 6
                raise ValueError("Transfer-Encoding is not supported by this receiver")
            entry["body"] = h.rfile.read(int(hd.get("content-length") or 0))
            gzipped = hd.get("content-encoding", "").lower() == "gzip"
            entry["data"] = gzip.decompress(entry["body"]) if gzipped else entry["body"]
            return True
        except (ValueError, OSError, EOFError, zlib.error):
            h.close_connection = True
            return False

    def _respond(self, h, hd, entry):
        """(status, answer body). Checks in Splunk's order: route, token, channel, then data."""
        url = urlsplit(h.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        route = ROUTES.get(url.path.rstrip("/").removesuffix("/1.0"))
        if route == "health" and h.command in ("GET", "HEAD"):
            return _hec(17)
        if route in (None, "health") or h.command != "POST":
            return NOT_FOUND
        scheme, _, token = hd.get("authorization", "").strip().partition(" ")
        if not scheme or (scheme.lower() == "splunk" and not token.strip()):
            return _hec(2)
        if scheme.lower() != "splunk":  # e.g. Bearer; Splunk's Basic form is not modelled
            return _hec(3)
        if token.strip() != self.token:
            return _hec(4)
        with self._cond:
            if self._token_disabled:
                return _hec(1)
        if route == "ack" and not self.ack_enabled:
            return _hec(14)
        channel = entry["channel"] = hd.get("x-splunk-request-channel") or query.get("channel") or None
        if channel is None and self.ack_enabled:
            return _hec(10)
        if channel is not None and not GUID_RE.fullmatch(channel):
            return _hec(11)
        if route == "ack":
            return self._ack(channel, entry["data"])
        return self._ingest(route, channel, query, entry)

    def _ingest(self, route, channel, query, entry):
        with self._cond:  # an injected failure comes first: the server refuses before parsing
            fault = self._fault
            if fault:
                if fault["left"] is not None:
                    fault["left"] -= 1
                    if fault["left"] <= 0:
                        self._fault = None
                entry["outcome"] = "failed"
                return fault["answer"]
        data = entry["data"]
        if not data.strip():
            return _hec(5)
        if route == "raw":  # Splunk's default LINE_BREAKER is ([\r\n]+): one event per line
            meta = {k: query.get(k) for k in META}
            events = [dict(meta, event=line) for line in
                      re.split(r"[\r\n]+", data.decode("utf-8", "replace")) if line.strip()]
        else:
            try:
                events = _parse_events(data)
            except _BadEvent as e:  # the whole request is refused: nothing stored
                return _hec(e.code, **{"invalid-event-number": e.number})
        with self._cond:
            ack_id, received = None, time.time()
            if channel is not None:
                ch = self._channels.setdefault(channel, {"next": 0, "pending": {}})
                if self.ack_enabled:
                    ack_id, ch["next"] = ch["next"], ch["next"] + 1
            batch = {"indexed_at": None if self._never else time.monotonic() + self._index_delay,
                     "events": [dict(e, channel=channel, ackId=ack_id, endpoint=route,
                                     received=received) for e in events]}
            if ack_id is not None:
                ch["pending"][ack_id] = batch
            self._batches.append(batch)
            self._cond.notify_all()
        return (200, {"text": "Success", "code": 0, "ackId": ack_id}) if ack_id is not None \
            else _hec(0)

    def _ack(self, channel, data):
        try:
            ids = json.loads(data)["acks"]
            if not isinstance(ids, list) or not all(type(i) is int for i in ids):
                raise TypeError("acks must be a list of integers")
        except (ValueError, KeyError, TypeError):
            return _hec(6)
        answer = {}
        with self._cond:
            pending = self._channels.get(channel, {}).get("pending", {})
            for i in ids:
                if str(i) not in answer:  # an id asked twice in one query keeps its first answer
                    answer[str(i)] = i in pending and self._indexed(pending[i])
                    if answer[str(i)]:
                        del pending[i]  # a true is reported once, then forgotten
            self.ack_queries.append({"channel": channel, "acks": ids, "answer": dict(answer),
                                     "received": time.time()})
        return 200, {"acks": answer}

    def _send(self, h, status, payload):
        data = json.dumps(payload).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json; charset=UTF-8")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(data)
        except OSError:  # the sender gave up (timeout) or the receiver is stopping
            h.close_connection = True


if __name__ == "__main__":  # manual use: python3 tests/e2e/splunk_receiver.py --port 8088
    import argparse

    p = argparse.ArgumentParser(description="Serves the Splunk HEC test receiver until Ctrl-C.")
    p.add_argument("--port", type=int, default=8088)
    p.add_argument("--token", default=TEST_TOKEN)
    p.add_argument("--no-ack", action="store_true", help="indexer acknowledgement off")
    p.add_argument("--index-delay", type=float, default=0.0, metavar="SECONDS")
    p.add_argument("--tls", nargs=2, metavar=("CERT_PEM", "KEY_PEM"))
    a = p.parse_args()
    rx = SplunkReceiver(a.port, token=a.token, ack_enabled=not a.no_ack, index_delay=a.index_delay,
                        tls=a.tls)
    print(f"splunk_receiver listening on {rx.url} (token {rx.token})", flush=True)
    try:
        rx._http._thread.join()
    except KeyboardInterrupt:
        rx.stop()
        print(f"{len(rx.requests)} requests; {len(rx.events())} events indexed; "
              f"channels: {rx.channels()}")
