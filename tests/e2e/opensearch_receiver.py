"""An OpenSearch/Elasticsearch REST receiver: the test peer for Hydrant's OpenSearch destination.

No real OpenSearch can run on this machine (not in Debian, not on npm, no Docker), so this receiver
is written from the public OpenSearch REST API reference (Bulk, Get document, Count, CAT indices,
cluster info), its answers checked against the types of the npm client @opensearch-project/opensearch
3.9.0 (api/_types/_core.bulk.d.ts and others); shared/reference/destinations.md §3 has the wire
facts. A test using it must say that no real server ran.

    with OpenSearchReceiver() as osr:                  # listens on 127.0.0.1, a free port
        ... point a stream's ClusterEndpoint at osr.url, put records ...
        osr.wait_for_documents(3)
        assert list(osr.documents("myindex-2016-02-25").values()) == [{"a": 1}, ...]

Bulk: POST|PUT /_bulk and /<index>/_bulk, NDJSON (application/x-ndjson or application/json),
optionally gzip; `index` and `create` actions. A malformed body answers 400 as OpenSearch's bulk
parser does (bad action line, unknown action or parameter, no final \\n, missing source, no index);
a bad *source* line fails only its item (400 mapper_parsing_exception), as OpenSearch parses sources
per document. Faults (thread-safe, any time): fail_items, fail_requests, outage, set_delay.
Auth: HTTP basic (username/password) or SigV4 (sigv4_service "es"/"aoss", checked with botocore).

.requests entries: method, path (target verbatim), headers (lower-cased keys), body (raw bytes),
data (body after gunzip), status (None: no answer), outcome (ok | unauthorized | forbidden | failed
(fail_requests) | outage | stopped (a delay cut by stop())), auth_error, received (time.time()).
.bulk_requests entries: path, index (from the URL or None), status, error (whole-request reason),
items (None if unparsable): [{action, meta (action line object), _index, _id (as sent; None: auto),
_type, source (the source line, str), status, error (item error type)}].
"""
import base64
import calendar
import copy
import gzip
import hashlib
import hmac
import json
import os
import re
import secrets
import socket
import struct
import threading
import time
import zlib
from urllib.parse import unquote, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from loopback_server import LoopbackServer

TEST_ACCESS_KEY = "AKIDEXAMPLE"  # the example credentials of the AWS SigV4 documentation
TEST_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SHARDS = {"total": 2, "successful": 1, "failed": 0}  # one node: each replica is unassigned
ITEM_ERROR = {400: "mapper_parsing_exception", 409: "version_conflict_engine_exception",
              429: "es_rejected_execution_exception"}
REQUEST_ERROR = {400: "illegal_argument_exception", 401: "security_exception", 403: "security_exception",
                 429: "circuit_breaking_exception", 503: "cluster_block_exception"}
META = {"_index", "_id", "_type", "routing", "pipeline", "require_alias", "op_type", "version",
        "version_type", "if_seq_no", "if_primary_term"}  # what OpenSearch accepts on index/create
BAD_INDEX_CHARS = set('\\/*?"<>| ,#:')
SIGV4_RE = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/,]+)/\d{8}/([^/,]+)/([^/,]+)/aws4_request,"
                      r"\s*SignedHeaders=([a-z0-9;_.-]+),\s*Signature=([0-9a-f]{64})")
MISMATCH = ("The request signature we calculated does not match the signature you provided. Check "
            "your AWS Secret Access Key and signing method. Consult the service documentation for details.")


def _error(status, type_, reason, **extra):
    """(status, OpenSearch's whole-request error body): the cause, repeated as its only root cause."""
    cause = dict({"type": type_, "reason": reason}, **extra)
    return status, {"error": dict({"root_cause": [cause]}, **cause), "status": status}


def _index_name_ok(name):  # OpenSearch's rules for a new index's name
    return (name == name.lower() and name not in ("", ".", "..") and name[0] not in "_-+"
            and not BAD_INDEX_CHARS & set(name) and len(name.encode()) <= 255)


class _DeclaredHeadersSigV4(SigV4Auth):
    """botocore's SigV4 signer, made to canonicalise exactly the headers the client declared in
    SignedHeaders, with their values as received (left alone, botocore picks its own header set:
    right for signing a request, wrong for checking someone else's signature)."""

    def __init__(self, credentials, service, region, received, names):
        super().__init__(credentials, service, region)
        self._headers = HTTPHeaders()
        for name in names:
            for value in received.get_all(name) or ():
                self._headers[name] = value  # HTTPMessage appends: repeated headers stay repeated

    def headers_to_sign(self, request):
        return self._headers


class OpenSearchReceiver:
    def __init__(self, port=0, *, username=None, password=None, sigv4_service=None,
                 region="us-east-1", access_key=TEST_ACCESS_KEY, secret_key=TEST_SECRET_KEY,
                 session_token=None, tls=None):
        """port: 0 for a free one, or an old receiver's .port to restart on it. username/password:
        require HTTP basic auth. sigv4_service: "es" or "aoss" to require SigV4 for that service and
        region with these keys (and session_token, then required as X-Amz-Security-Token).
        tls: (certificate PEM, key PEM) to serve https instead of http."""
        if sigv4_service not in (None, "es", "aoss"):
            raise ValueError(f"sigv4_service {sigv4_service!r}: expected 'es' or 'aoss'")
        if sigv4_service and username is not None:
            raise ValueError("basic auth and SigV4 both use the Authorization header: pick one")
        self.username, self.password = username, password
        self.sigv4_service, self.region = sigv4_service, region
        self.credentials = Credentials(access_key, secret_key, session_token)
        self.requests, self.bulk_requests = [], []
        self._cond = threading.Condition(threading.RLock())  # RLock: fail_items predicates may call us
        self._indices = {}  # name -> {uuid, seq (next _seq_no), docs: {id: {source, version, seq_no}}}
        self.clear_faults()
        self._http = LoopbackServer(self, port, tls, "opensearch-receiver")
        self.port, self.url, self._stopping = self._http.port, self._http.url, self._http.stopping

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        """Stops listening and cuts open keep-alive connections, so the sender sees it down."""
        self._http.stop()

    # ---- faults ------------------------------------------------------------------------------
    def fail_items(self, when=None, *, status=429, error_type=None, reason=None, times=None):
        """Fails matching bulk items (the request still answers 200, errors: true). when: None (any
        item), a str (in the item's source line) or a callable given a .bulk_requests item. Type by
        status unless given: 429 es_rejected_execution_exception (retryable), 400 mapper_parsing_
        exception (permanent), 409 version_conflict_engine_exception. times: items to fail before
        the rule lapses (None: until clear_faults). The first matching rule, oldest first, wins."""
        error_type = error_type or ITEM_ERROR.get(status, "exception")
        with self._cond:
            self._item_rules.append({"when": when, "status": status, "type": error_type, "left": times,
                                     "reason": reason or f"{error_type} injected by opensearch_receiver"})

    def fail_requests(self, status, *, times=1, error_type=None, reason=None, body=None):
        """The next `times` bulk requests answer `status` with an OpenSearch error body (or `body`,
        raw bytes, e.g. b"" for a bare 413) and store nothing. Replaces an earlier setting."""
        error_type = error_type or REQUEST_ERROR.get(status, "status_exception")
        with self._cond:
            self._request_fault = {"status": status, "type": error_type, "body": body, "left": times,
                                   "reason": reason or f"{error_type} injected by opensearch_receiver"}

    def outage(self, on=True):
        """While on, every request is read and recorded, then its connection reset unanswered."""
        with self._cond:
            self._outage = on

    def set_delay(self, seconds, *, times=None):
        """Answers `seconds` late (the next `times` requests; None: until changed). Documents are
        stored before the wait, so a sender that times out and retries duplicates them, as with a
        real cluster that indexed a batch but answered too late."""
        with self._cond:
            self._delay = (seconds, times)

    def clear_faults(self):
        with self._cond:
            self._item_rules, self._request_fault = [], None
            self._outage, self._delay = False, (0, None)

    def _item_fault(self, item):
        for rule in self._item_rules:
            when = rule["when"]
            if when is None or (when in item["source"] if isinstance(when, str) else when(item)):
                if rule["left"] is not None:
                    rule["left"] -= 1
                    if rule["left"] <= 0:
                        self._item_rules.remove(rule)
                return rule
        return None

    # ---- results -----------------------------------------------------------------------------
    def documents(self, index):
        """id -> source (a copy) of the documents in `index`, in the order first indexed."""
        with self._cond:
            docs = self._indices.get(index, {}).get("docs", {})
            return {i: copy.deepcopy(d["source"]) for i, d in docs.items()}

    def all_indices(self):
        with self._cond:
            return sorted(self._indices)

    def wait_for_documents(self, n, index=None, timeout=30.0):
        """Waits until `index` (None: all indices together) holds at least n documents."""
        def count():
            return sum(len(v["docs"]) for k, v in self._indices.items() if index in (None, k))
        with self._cond:
            if not self._cond.wait_for(lambda: count() >= n, timeout):
                seen = [(b["status"], [i["status"] for i in b["items"] or ()]) for b in self.bulk_requests]
                raise AssertionError(f"timed out after {timeout}s waiting for {n} documents in "
                                     f"{index or 'all indices'} (have {count()}); bulk requests "
                                     f"(status, item statuses): {seen}")

    def reset(self):
        """Forgets documents, indices, recorded requests and faults."""
        with self._cond:
            self._indices.clear()
            self.requests.clear()
            self.bulk_requests.clear()
            self.clear_faults()

    # ---- one request -------------------------------------------------------------------------
    def _handle(self, h):
        hd = {k.lower(): v for k, v in h.headers.items()}
        entry = {"method": h.command, "path": h.path, "headers": hd, "body": b"", "data": None,
                 "status": None, "outcome": "ok", "auth_error": None, "received": time.time()}
        unreadable = self._read_body(h, hd, entry)
        with self._cond:
            outage, (delay, left) = self._outage, self._delay
            if delay and left is not None:
                self._delay = (delay, left - 1) if left > 1 else (0, None)
        status, payload, headers = None, None, ()
        if outage:
            entry["outcome"] = "outage"
        elif unreadable:
            (status, payload) = _error(400, "illegal_argument_exception", unreadable)
        else:
            status, payload, headers = self._respond(h, hd, entry["data"], entry)
        # Record before answering: once the sender has its answer, the test can see the request.
        with self._cond:
            entry["status"] = status
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
            self._send(h, status, payload, headers)

    def _read_body(self, h, hd, entry):
        """Fills entry body (raw) and data (gunzipped); returns why the body is unreadable, or None."""
        try:
            if "transfer-encoding" in hd:  # OpenSearch takes chunked bodies; senders here do not
                raise ValueError("Transfer-Encoding is not supported by this receiver")
            entry["body"] = h.rfile.read(int(hd.get("content-length") or 0))
            gzipped = hd.get("content-encoding", "").lower() == "gzip"
            entry["data"] = gzip.decompress(entry["body"]) if gzipped else entry["body"]
            return None
        except (ValueError, OSError, EOFError, zlib.error) as e:
            h.close_connection = True
            return f"unreadable request body: {e}"

    def _respond(self, h, hd, data, entry):
        """(status, payload, extra headers); payload: JSON-able, or bytes sent as they are."""
        if self.username is not None and not self._basic_ok(hd.get("authorization", "")):
            entry["outcome"] = "unauthorized"
            # The security plugin answers "Unauthorized" as text (<= 2.10) or no body (2.11,
            # opensearch-project/security#3803); an OpenSearch error body serves tests better.
            status, body = _error(401, "security_exception",
                                  f"Unauthorized: missing or wrong credentials for [{h.path}]")
            return status, body, [("WWW-Authenticate", 'Basic realm="OpenSearch Security"')]
        if self.sigv4_service:
            entry["auth_error"] = self._sigv4_problem(h, hd, data)
            if entry["auth_error"]:
                entry["outcome"] = "forbidden"
                return 403, {"message": entry["auth_error"]}, ()
        url, method = urlsplit(h.path), h.command
        parts = [unquote(p) for p in url.path.split("/") if p]
        if method in ("POST", "PUT") and parts[-1:] == ["_bulk"] and len(parts) <= 2:
            return (*self._bulk(h.path, parts[0] if len(parts) == 2 else None, hd, data, entry), ())
        with self._cond:
            if method in ("GET", "HEAD") and not parts:
                return 200, self._info(), ()
            if method == "GET" and parts == ["_cat", "indices"]:  # JSON whatever `format` says
                return 200, self._cat_indices(), ()
            if method in ("GET", "POST") and parts[-1:] == ["_count"] and len(parts) <= 2:
                return (*self._count(parts[0] if len(parts) == 2 else None), ())
            if method in ("GET", "HEAD") and len(parts) == 3 and parts[1] == "_doc":
                return (*self._get(parts[0], parts[2]), ())
        return 400, {"error": f"no handler found for uri [{h.path}] and method [{method}]"}, ()

    def _basic_ok(self, header):
        scheme, _, token = header.partition(" ")
        try:
            given = base64.b64decode(token.strip(), validate=True)
        except ValueError:
            return False
        return scheme.lower() == "basic" and hmac.compare_digest(
            given, f"{self.username}:{self.password}".encode())

    def _sigv4_problem(self, h, hd, body):
        """None if the request is SigV4-signed for our service and region with our keys, else the
        403 message. botocore's SigV4Auth recomputes the signature over the request as received;
        around it we check what the signature alone does not prove (key id, clock, body hash)."""
        m = SIGV4_RE.fullmatch(hd.get("authorization", ""))
        if not m:
            return "Missing Authentication Token (no AWS4-HMAC-SHA256 Authorization header)"
        key_id, region, service, names, signature = m.groups()
        names, token = names.split(";"), self.credentials.token
        if key_id != self.credentials.access_key or (token and hd.get("x-amz-security-token") != token):
            return "The security token included in the request is invalid."
        if (region, service) != (self.region, self.sigv4_service):
            return (f"Credential should be scoped to region '{self.region}' and service "
                    f"'{self.sigv4_service}', not '{region}' and '{service}'.")
        amz_date = hd.get("x-amz-date", "")
        try:
            signed_at = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            return "Authorization header requires a valid 'X-Amz-Date' header (yyyyMMddTHHmmssZ)."
        if abs(time.time() - signed_at) > 300:  # AWS allows 5 minutes of clock skew
            return f"Signature expired: {amz_date} is more than 5 minutes from now."
        if "host" not in names:
            return "'Host' must be a signed header."
        # aoss requires the body hash header, signed; es takes it when present. botocore uses the
        # header's value as the payload hash, so it must match the body.
        if self.sigv4_service == "aoss" and "x-amz-content-sha256" not in names:
            return "x-amz-content-sha256 must be sent and signed for service aoss."
        digest = hashlib.sha256(body).hexdigest()
        if hd.get("x-amz-content-sha256", digest) != digest:
            return "The provided 'x-amz-content-sha256' header does not match what was computed."
        request = AWSRequest(method=h.command, url=f"http://{hd.get('host', '')}{h.path}", data=body)
        request.context["timestamp"] = amz_date  # sign "as of" the client's time, not ours
        signer = _DeclaredHeadersSigV4(self.credentials, service, region, h.headers, names)
        canonical = signer.canonical_request(request)
        string_to_sign = signer.string_to_sign(request, canonical)
        if hmac.compare_digest(signer.signature(string_to_sign, request), signature):
            return None
        return (f"{MISMATCH}\n\nThe Canonical String for this request should have been\n'{canonical}'"
                f"\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n")

    # ---- bulk --------------------------------------------------------------------------------
    def _bulk(self, path, url_index, hd, data, entry):
        started, content_type = time.monotonic(), hd.get("content-type", "")
        if content_type.split(";")[0].strip().lower() not in ("application/x-ndjson", "application/json"):
            return 406, {"error": f"Content-Type header [{content_type}] is not supported", "status": 406}
        try:
            items, problem = self._parse_bulk(data, url_index), None
        except ValueError as e:
            items, problem = None, str(e)
        with self._cond:
            record = {"path": path, "index": url_index, "items": items, "status": 400, "error": problem}
            self.bulk_requests.append(record)
            fault = self._request_fault
            if fault:  # a whole-request failure comes first: the server refuses before parsing
                fault["left"] -= 1
                if fault["left"] <= 0:
                    self._request_fault = None
                entry["outcome"], record["status"], record["error"] = "failed", fault["status"], fault["reason"]
                if fault["body"] is not None:
                    return fault["status"], fault["body"]
                return _error(fault["status"], fault["type"], fault["reason"])
            if problem:
                return _error(400, "illegal_argument_exception", problem)
            answers = [self._apply(item) for item in items]
            record["status"] = 200
            self._cond.notify_all()
        return 200, {"took": int((time.monotonic() - started) * 1000),
                     "errors": any(i["error"] for i in items), "items": answers}

    def _parse_bulk(self, data, url_index):
        """The bulk body's items, or ValueError with the reason OpenSearch gives for a 400."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ValueError(f"bulk body is not UTF-8: {e}") from None
        if not text.endswith("\n"):
            raise ValueError("The bulk request must be terminated by a newline [\\n]")
        lines, items, n = [x.removesuffix("\r") for x in text.split("\n")[:-1]], [], 0  # CRLF too
        while n < len(lines):
            line, n = lines[n], n + 1  # n: the 1-based number of `line`, as OpenSearch counts
            if not line.strip():
                continue  # OpenSearch skips blank lines where an action line is due
            try:
                action = json.loads(line)
                (verb, meta), = action.items()
                assert isinstance(meta, dict)
            except (ValueError, AttributeError, AssertionError):
                raise ValueError(f"Malformed action/metadata line [{n}], expected "
                                 f'{{"<action>":{{...}}}} but found [{line[:200]}]') from None
            if verb not in ("index", "create"):
                raise ValueError(f"Malformed action/metadata line [{n}], expected field [create] or "
                                 f"[index] but found [{verb}] (this receiver supports only those)")
            if set(meta) - META:
                raise ValueError(f"Action/metadata line [{n}] contains an unknown parameter "
                                 f"[{min(set(meta) - META)}]")
            # OpenSearch silently drops an action that ends the body; we refuse it, since a sender
            # writing one has a bug. An empty source line OpenSearch refuses too.
            if n >= len(lines) or lines[n] == "":
                raise ValueError(f"Validation Failed: 1: source is missing (after line [{n}]);")
            source, n = lines[n], n + 1
            if meta.get("_index", url_index) is None:
                raise ValueError("Validation Failed: 1: index is missing;")
            items.append({"action": "create" if meta.get("op_type") == "create" else verb,
                          "meta": meta, "_index": str(meta.get("_index", url_index)),
                          "_id": None if meta.get("_id") is None else str(meta["_id"]),
                          "_type": meta.get("_type"), "source": source, "status": None, "error": None})
        if not items:
            raise ValueError("Validation Failed: 1: no requests added;")
        return items

    def _apply(self, item):
        """Indexes one parsed item (under the lock); returns its entry of the answer's items."""
        verb, name = item["action"], item["_index"]
        doc_id = item["_id"] or secrets.token_urlsafe(15)  # auto: 20 URL-safe chars, as OpenSearch
        head = {"_index": name, "_id": doc_id}
        if item["_type"] is not None:
            head["_type"] = item["_type"]  # echoed as Elasticsearch <= 7 does

        def fail(status, type_, reason, **more):
            item.update(status=status, error=type_)
            error = dict({"type": type_, "reason": reason, "index": name, "shard": "0", "index_uuid":
                          self._indices[name]["uuid"] if name in self._indices else "_na_"}, **more)
            return {verb: dict(head, status=status, error=error)}

        if not _index_name_ok(name):
            return fail(400, "invalid_index_name_exception", f"Invalid index name [{name}], must be "
                        "lowercase, not start with '_', '-' or '+', nor contain " + "".join(BAD_INDEX_CHARS))
        index = self._indices.setdefault(name, {"uuid": secrets.token_urlsafe(16)[:22], "seq": 0,
                                                "docs": {}})  # auto-created, as by default
        rule = self._item_fault(item)
        if rule:
            return fail(rule["status"], rule["type"], rule["reason"])
        try:
            source = json.loads(item["source"])
            if not isinstance(source, dict):
                raise ValueError(f"the document must be a JSON object, not {type(source).__name__}")
        except ValueError as e:  # caused_by is illustrative; senders key on status and type
            return fail(400, "mapper_parsing_exception", "failed to parse",
                        caused_by={"type": "parse_exception", "reason": str(e)})
        old = index["docs"].get(doc_id)
        if old and verb == "create":
            return fail(409, "version_conflict_engine_exception", f"[{doc_id}]: version conflict, "
                        f"document already exists (current version [{old['version']}])")
        seq_no, version = index["seq"], old["version"] + 1 if old else 1
        index["seq"] += 1
        index["docs"][doc_id] = {"source": source, "version": version, "seq_no": seq_no}
        item["status"] = 200 if old else 201
        return {verb: dict(head, _version=version, result="updated" if old else "created",
                           _shards=SHARDS, _seq_no=seq_no, _primary_term=1, status=item["status"])}

    # ---- read APIs (called under the lock) ---------------------------------------------------
    def _get(self, name, doc_id):
        if name not in self._indices:
            return self._no_index(name)
        doc = self._indices[name]["docs"].get(doc_id)
        if doc is None:
            return 404, {"_index": name, "_id": doc_id, "found": False}
        return 200, {"_index": name, "_id": doc_id, "_version": doc["version"], "_seq_no": doc["seq_no"],
                     "_primary_term": 1, "found": True, "_source": doc["source"]}

    def _count(self, name):
        if name is not None and name not in self._indices:
            return self._no_index(name)
        names = [name] if name else list(self._indices)
        return 200, {"count": sum(len(self._indices[n]["docs"]) for n in names),
                     "_shards": {"total": len(names), "successful": len(names), "skipped": 0, "failed": 0}}

    def _no_index(self, name):
        return _error(404, "index_not_found_exception", f"no such index [{name}]", index=name,
                      **{"resource.type": "index_or_alias", "resource.id": name, "index_uuid": "_na_"})

    def _cat_indices(self):
        return [{"health": "yellow", "status": "open", "index": n, "uuid": v["uuid"], "pri": "1",
                 "rep": "1", "docs.count": str(len(v["docs"])), "docs.deleted": "0"}
                for n, v in sorted(self._indices.items())]

    def _info(self):  # a 2.11.0 build's values where known; cluster_uuid and build_hash made up
        return {"name": "opensearch-receiver", "cluster_name": "hydrant-test",
                "cluster_uuid": "hydrant-test-cluster-uuid0",
                "version": {"distribution": "opensearch", "number": "2.11.0", "build_type": "tar",
                            "build_hash": "0" * 40, "build_date": "2023-10-13T02:55:55Z",
                            "build_snapshot": False, "lucene_version": "9.7.0",
                            "minimum_wire_compatibility_version": "7.10.0",
                            "minimum_index_compatibility_version": "7.0.0"},
                "tagline": "The OpenSearch Project: https://opensearch.org/"}

    def _send(self, h, status, payload, headers):
        data, ctype = payload, "text/plain; charset=UTF-8"
        if not isinstance(payload, bytes):
            data, ctype = json.dumps(payload).encode(), "application/json; charset=UTF-8"
        try:
            h.send_response(status)
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(data)))  # on HEAD too, as OpenSearch does
            for name, value in headers:
                h.send_header(name, value)
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(data)
        except OSError:  # the sender gave up (timeout) or the receiver is stopping
            h.close_connection = True


if __name__ == "__main__":  # manual use: python3 tests/e2e/opensearch_receiver.py --port 9200
    import argparse

    p = argparse.ArgumentParser(description="Serves the OpenSearch test receiver until Ctrl-C.")
    p.add_argument("--port", type=int, default=9200)
    p.add_argument("--username")
    p.add_argument("--password")
    p.add_argument("--sigv4", choices=("es", "aoss"), help="require SigV4 with the TEST_ keys")
    p.add_argument("--tls", nargs=2, metavar=("CERT_PEM", "KEY_PEM"))
    a = p.parse_args()
    rx = OpenSearchReceiver(a.port, username=a.username, password=a.password, sigv4_service=a.sigv4,
                            tls=a.tls)
    print(f"opensearch_receiver listening on {rx.url}", flush=True)
    try:
        rx._http._thread.join()
    except KeyboardInterrupt:
        rx.stop()
        print(f"{len(rx.requests)} requests; indices: {rx.all_indices()}")
