"""Delivery to a remote S3-compatible server (`remote_buckets:` in the config file), against a real
s3rver (npm, pinned in tests/js) started by each test on a free loopback port."""
import hashlib
import json
import re
import shutil
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from harness import REPO_ROOT, stop_process, wait_for

JS_DIR = REPO_ROOT / "tests" / "js"
S3RVER_JS = JS_DIR / "node_modules" / "s3rver" / "bin" / "s3rver.js"
LISTENING_RE = re.compile(r"S3rver listening on 127\.0\.0\.1:(\d+)")
REMOTE_BUCKET = "real-name"  # the bucket at s3rver; streams name it "logs"
KMS_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture(scope="module")
def s3rver_installed():
    if shutil.which("node") is None:
        pytest.fail("node is not installed")
    if not S3RVER_JS.exists():
        # Reproducible install from the committed lock file.
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True,
                       capture_output=True, timeout=600)
    return S3RVER_JS


class S3rver:
    """One s3rver process over a directory that outlives restarts (credentials S3RVER/S3RVER)."""

    def __init__(self, root, tls=None):
        """tls: (key, certificate, ca) PEM paths to serve https:// with a certificate `ca` signed."""
        self.root = root
        self.tls = tls
        self.data_dir = root / "s3rver-data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = root / "s3rver.log"
        self.process = None
        self.port = None

    def start(self, port=0):
        # Not --silent: its log lines ("Stored part 1 of ...") show what the uploader sent.
        log = open(self.log_path, "ab")
        start_offset = self.log_path.stat().st_size
        self.process = subprocess.Popen(
            ["node", str(S3RVER_JS), "-d", str(self.data_dir), "-a", "127.0.0.1", "-p", str(port)]
            + (["--key", str(self.tls[0]), "--cert", str(self.tls[1])] if self.tls else []),
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()

        def listening():
            if self.process.poll() is not None:
                raise AssertionError(f"s3rver exited with {self.process.returncode}:\n{self.log()}")
            match = LISTENING_RE.search(self.log()[start_offset:])
            return int(match.group(1)) if match else None

        self.port = wait_for(listening, timeout=20, interval=0.05, message="s3rver listening")
        return self

    def stop(self):
        stop_process(self.process, timeout=10)

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def endpoint(self):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def client(self):
        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1", aws_access_key_id="S3RVER",
            aws_secret_access_key="S3RVER", verify=str(self.tls[2]) if self.tls else None,
            config=Config(s3={"addressing_style": "path"}, connect_timeout=5, read_timeout=60))

    def objects(self, bucket=REMOTE_BUCKET):
        """{key: bytes} of every object in the bucket."""
        s3 = self.client()
        out = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                out[item["Key"]] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        return out


@pytest.fixture
def s3rver(s3rver_installed, tmp_path_factory):
    server = S3rver(tmp_path_factory.mktemp("s3rver")).start()
    yield server
    server.stop()


def write_config(path, s3rver, **overrides):
    """The README's remote_buckets example, pointed at s3rver."""
    entry = {"name": "logs", "endpoint": s3rver.endpoint, "region": "us-east-1",
             "bucket": REMOTE_BUCKET, "access_key_id": "S3RVER", "secret_access_key": "S3RVER"}
    entry.update(overrides)
    lines = ["remote_buckets:", f"  - name: {entry.pop('name')}"]
    lines += [f"    {key}: {json.dumps(value)}" for key, value in entry.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def wait_remote_bytes(s3rver, total, timeout=60):
    def ready():
        try:
            objects = s3rver.objects()
        except Exception:  # the bucket may not exist yet, or the server is restarting
            return None
        return objects if sum(map(len, objects.values())) >= total else None

    return wait_for(ready, timeout=timeout, interval=0.3, message=f"{total} bytes at s3rver")


def test_delivers_to_the_remote_bucket_with_kms_after_it_is_created(hydrant_factory, s3rver, tmp_path):
    server = hydrant_factory(config_file=write_config(tmp_path / "hydrant.yaml", s3rver))
    fh = server.firehose()
    encryption = {"KMSEncryptionConfig": {"AWSKMSKeyARN": KMS_KEY_ARN}}
    server.create_s3_stream("remote", "logs", prefix="app/", interval_s=1,
                            EncryptionConfiguration=encryption)
    description = fh.describe_delivery_stream(DeliveryStreamName="remote")["DeliveryStreamDescription"]
    destination = description["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert destination["EncryptionConfiguration"] == encryption

    records = [b'{"n": %d}\n' % i for i in range(50)]
    assert fh.put_record_batch(DeliveryStreamName="remote",
                               Records=[{"Data": r} for r in records])["FailedPutCount"] == 0
    # The bucket does not exist at s3rver yet: the data is kept and delivery retried.
    wait_for(lambda: "S3.NoSuchBucket" in server.log_text(), timeout=20,
             message="S3.NoSuchBucket in the server log")
    assert f"bucket {REMOTE_BUCKET} at {s3rver.endpoint} does not exist" in server.log_text()
    s3rver.client().create_bucket(Bucket=REMOTE_BUCKET)

    objects = wait_remote_bytes(s3rver, sum(map(len, records)))
    assert b"".join(objects[k] for k in sorted(objects)) == b"".join(records)
    assert all(re.fullmatch(r"app/\d{4}/\d\d/\d\d/\d\d/remote-1-[-0-9]+-[0-9a-f-]{36}", k) for k in objects)
    # Nothing went to the embedded store.
    assert "logs" not in [b["Name"] for b in server.s3().list_buckets()["Buckets"]]


def test_large_objects_go_up_as_multipart_uploads(hydrant_factory, s3rver, tmp_path):
    s3rver.client().create_bucket(Bucket=REMOTE_BUCKET)
    config = write_config(tmp_path / "hydrant.yaml", s3rver, multipart_threshold_mb=5)
    server = hydrant_factory(config_file=config)
    fh = server.firehose()
    server.create_s3_stream("big", "logs", size_mb=64, interval_s=10)
    records = [bytes([65 + i % 26]) * 499_999 + b"\n" for i in range(25)]  # 12.5 MB
    for start in range(0, len(records), 8):  # 8 records per request stay under 4 MiB
        response = fh.put_record_batch(DeliveryStreamName="big",
                                       Records=[{"Data": r} for r in records[start:start + 8]])
        assert response["FailedPutCount"] == 0
    objects = wait_remote_bytes(s3rver, sum(map(len, records)), timeout=60)
    assert b"".join(objects[k] for k in sorted(objects)) == b"".join(records)
    assert len(objects) == 1
    # s3rver logs each part it stored: 5 MiB + 5 MiB + the rest.
    parts = re.findall(r"Stored part (\d+) of", s3rver.log())
    assert sorted(set(parts)) == ["1", "2", "3"], s3rver.log()[-3000:]
    assert "Aborting" not in s3rver.log()


def test_remote_server_down_mid_load_delivers_every_acknowledged_record_once(
        hydrant_factory, s3rver, tmp_path):
    s3rver.client().create_bucket(Bucket=REMOTE_BUCKET)
    server = hydrant_factory(config_file=write_config(tmp_path / "hydrant.yaml", s3rver))
    server.create_s3_stream("load", "logs", interval_s=1)
    acknowledged = []
    stop = threading.Event()

    def produce(worker):
        client = server.firehose()
        batch = 0
        while not stop.is_set():
            records = [b"w%d-b%d-r%d\n" % (worker, batch, i) for i in range(20)]
            response = client.put_record_batch(DeliveryStreamName="load",
                                               Records=[{"Data": r} for r in records])
            for record, result in zip(records, response["RequestResponses"]):
                if "RecordId" in result:
                    acknowledged.append(record)
            batch += 1
            time.sleep(0.05)

    threads = [threading.Thread(target=produce, args=(w,)) for w in range(2)]
    for t in threads:
        t.start()
    try:
        time.sleep(2)
        port = s3rver.port
        s3rver.stop()
        wait_for(lambda: "S3.ConnectionError" in server.log_text(), timeout=20,
                 message="S3.ConnectionError in the server log")
        time.sleep(3)
        s3rver.start(port=port)
        time.sleep(2)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert acknowledged
    objects = wait_remote_bytes(s3rver, sum(map(len, acknowledged)), timeout=90)
    delivered = b"".join(objects.values()).splitlines(keepends=True)
    assert sorted(delivered) == sorted(acknowledged)  # every record, none twice
    assert len(set(delivered)) == len(delivered)


def test_wrong_credentials_keep_the_data_until_the_config_is_fixed(hydrant_factory, s3rver, tmp_path):
    s3rver.client().create_bucket(Bucket=REMOTE_BUCKET)
    config = tmp_path / "hydrant.yaml"
    server = hydrant_factory(config_file=write_config(config, s3rver, access_key_id="WRONGKEY"))
    fh = server.firehose()
    server.create_s3_stream("creds", "logs", interval_s=1)
    records = [b"record-%d\n" % i for i in range(30)]
    assert fh.put_record_batch(DeliveryStreamName="creds",
                               Records=[{"Data": r} for r in records])["FailedPutCount"] == 0
    wait_for(lambda: "S3.InvalidAccessKeyId" in server.log_text(), timeout=20,
             message="S3.InvalidAccessKeyId in the server log")
    log = server.log_text()
    assert f"access to bucket {REMOTE_BUCKET} at {s3rver.endpoint} was denied" in log
    assert "check the credentials" in log and "remote bucket logs" in log
    assert "the data is kept" in log
    assert s3rver.objects() == {}

    # SIGTERM drains: the failed batch stays on disk for the next start.
    assert server.stop() == 0
    write_config(config, s3rver)
    server.restart()
    objects = wait_remote_bytes(s3rver, sum(map(len, records)))
    assert b"".join(objects[k] for k in sorted(objects)) == b"".join(records)
    time.sleep(2)  # no second copy arrives later
    assert len(s3rver.objects()) == len(objects)


def private_ca_and_certificate(directory):
    """A private CA and a certificate it signed for 127.0.0.1, made with the openssl CLI."""
    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-subj", "/CN=Hydrant test CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=127.0.0.1")
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "san.ext")
    return directory / "server.key", directory / "server.pem", directory / "ca.pem"


def test_https_endpoint_is_verified_against_the_configured_ca_bundle(hydrant_factory, s3rver_installed, tmp_path):
    """s3rver over TLS with a certificate from a private CA: without ca_bundle the certificate is
    refused (and the data kept); with the CA's PEM as ca_bundle the objects arrive; with
    insecure_skip_verify (and a warning in the log) they arrive without it."""
    tls = private_ca_and_certificate(tmp_path)
    remote = S3rver(tmp_path / "tls-s3rver", tls=tls).start()
    try:
        remote.client().create_bucket(Bucket=REMOTE_BUCKET)
        config = tmp_path / "hydrant.yaml"
        server = hydrant_factory(config_file=write_config(config, remote))
        server.create_s3_stream("tls", "logs", interval_s=1)
        records = [b"over-tls-%d\n" % i for i in range(20)]
        assert server.firehose().put_record_batch(
            DeliveryStreamName="tls", Records=[{"Data": r} for r in records])["FailedPutCount"] == 0
        wait_for(lambda: "S3.ConnectionError" in server.log_text(), timeout=20,
                 message="S3.ConnectionError in the server log")
        assert "certificate" in server.log_text().lower()
        assert remote.objects() == {}

        assert server.stop() == 0
        write_config(config, remote, ca_bundle=str(tls[2]))
        server.restart()
        objects = wait_remote_bytes(remote, sum(map(len, records)))
        assert b"".join(objects[k] for k in sorted(objects)) == b"".join(records)

        assert server.stop() == 0
        write_config(config, remote, insecure_skip_verify=True)
        server.restart()
        assert "insecure_skip_verify is set: the certificate of" in server.log_text()
        more = [b"unverified-%d\n" % i for i in range(5)]
        assert server.firehose().put_record_batch(
            DeliveryStreamName="tls", Records=[{"Data": r} for r in more])["FailedPutCount"] == 0
        wait_remote_bytes(remote, sum(map(len, records + more)))
    finally:
        remote.stop()


def test_bad_remote_bucket_config_is_a_clear_start_error(s3rver_installed, tmp_path):
    from harness import Hydrant, ServerStartError
    config = tmp_path / "hydrant.yaml"
    config.write_text("remote_buckets:\n  - {name: logs, endpoint: 'http://127.0.0.1:1', region: us-east-1, "
                      "access_key_id: AK}\n")
    server = Hydrant(tmp_path / "server", config_file=config)
    with pytest.raises(ServerStartError, match="access_key_id and secret_access_key go together"):
        server.start()
    assert server.process.returncode == 2


class SigV4CheckingS3(BaseHTTPRequestHandler):
    """A minimal S3 endpoint that verifies every request's SigV4 signature with botocore's own
    signer (s3rver checks none) and records what arrived. Answers multipart calls so a whole
    upload runs."""
    protocol_version = "HTTP/1.1"
    requests = []

    def handle_any(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        authorization = self.headers["Authorization"]
        credential = authorization.split("Credential=")[1].split(",")[0].split("/")
        signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
        request = AWSRequest(method=self.command, url="http://" + self.headers["Host"] + self.path,
                             headers={h: self.headers[h] for h in signed}, data=body)
        request.context["timestamp"] = self.headers["X-Amz-Date"]
        signer = S3SigV4Auth(Credentials(credential[0], "S3RVER"), "s3", credential[2])
        expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
        self.requests.append({
            "method": self.command, "path": self.path, "signed": signed,
            "signature_ok": expected == authorization.split("Signature=")[1].strip(),
            "hash_ok": self.headers.get("x-amz-content-sha256") == hashlib.sha256(body).hexdigest(),
            "headers": {k.lower(): v for k, v in self.headers.items()}, "size": len(body)})
        out = b""
        if self.command == "POST" and "uploads=" in self.path:
            out = b"<InitiateMultipartUploadResult><UploadId>up+id/1=</UploadId></InitiateMultipartUploadResult>"
        elif self.command == "POST":
            out = b"<CompleteMultipartUploadResult><ETag>\"x\"</ETag></CompleteMultipartUploadResult>"
        self.send_response(200)
        self.send_header("ETag", '"%s"' % hashlib.md5(body).hexdigest())
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_PUT = do_POST = do_DELETE = handle_any

    def log_message(self, *args):
        pass


def test_signatures_verify_and_kms_headers_and_session_token_are_sent(hydrant_factory, tmp_path):
    SigV4CheckingS3.requests = []
    endpoint = ThreadingHTTPServer(("127.0.0.1", 0), SigV4CheckingS3)
    threading.Thread(target=endpoint.serve_forever, daemon=True).start()
    try:
        config = tmp_path / "hydrant.yaml"
        config.write_text(f"""remote_buckets:
  - name: logs
    endpoint: http://127.0.0.1:{endpoint.server_address[1]}
    region: eu-west-1
    bucket: {REMOTE_BUCKET}
    access_key_id: S3RVER
    secret_access_key: S3RVER
    session_token: TOKEN
    multipart_threshold_mb: 5
""")
        server = hydrant_factory(config_file=config)
        fh = server.firehose()
        kms = {"KMSEncryptionConfig": {"AWSKMSKeyARN": KMS_KEY_ARN}}
        # A prefix that needs percent-encoding; one small and one multipart object with SSE-KMS.
        server.create_s3_stream("small", "logs", prefix="a b+c/", interval_s=1, EncryptionConfiguration=kms)
        server.create_s3_stream("big", "logs", prefix="a b+c/", size_mb=64, interval_s=5,
                                EncryptionConfiguration=kms)
        fh.put_record_batch(DeliveryStreamName="small", Records=[{"Data": b"x" * 100}] * 3)
        for _ in range(2):
            fh.put_record_batch(DeliveryStreamName="big", Records=[{"Data": b"y" * 500_000}] * 8)
        wait_for(lambda: any(r["method"] == "POST" and "uploadId=" in r["path"]
                             for r in SigV4CheckingS3.requests), timeout=30, message="CompleteMultipartUpload")
        wait_for(lambda: any(r["method"] == "PUT" and "small-1" in r["path"] for r in SigV4CheckingS3.requests),
                 timeout=30, message="PutObject")
    finally:
        endpoint.shutdown()
    requests = SigV4CheckingS3.requests
    assert all(r["signature_ok"] and r["hash_ok"] for r in requests), requests
    assert all(r["headers"]["x-amz-security-token"] == "TOKEN" and "x-amz-security-token" in r["signed"]
               for r in requests)
    assert all(r["path"].startswith(f"/{REMOTE_BUCKET}/a%20b%2Bc/") for r in requests)
    # SSE-KMS on PutObject and CreateMultipartUpload, signed.
    encrypted = [r for r in requests if r["method"] == "PUT" and "?" not in r["path"]] + \
                [r for r in requests if "?uploads=" in r["path"]]
    assert len(encrypted) == 2
    for r in encrypted:
        assert r["headers"]["x-amz-server-side-encryption"] == "aws:kms"
        assert r["headers"]["x-amz-server-side-encryption-aws-kms-key-id"] == KMS_KEY_ARN
        assert "x-amz-server-side-encryption-aws-kms-key-id" in r["signed"]
    parts = [r for r in requests if "partNumber=" in r["path"]]
    assert [r["size"] for r in parts] == [5 << 20, 8_000_000 - (5 << 20)]  # 16 records of 500 kB
    assert all("uploadId=up%2Bid%2F1%3D" in r["path"] for r in parts)
