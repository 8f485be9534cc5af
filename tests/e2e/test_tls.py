"""HTTPS on Hydrant's port (--tls-cert / --tls-key): every protocol, with the real clients.

Certificates come from a private CA made with the openssl CLI for each test; the clients
verify against it (boto3 verify=, aws --ca-bundle, NODE_EXTRA_CA_CERTS for the JS SDK).
"""
import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import SSLError

from conftest import unique_name
from harness import ACCESS_KEY, REPO_ROOT, SECRET_KEY, wait_for
from test_remote_s3 import private_ca_and_certificate


def issue(directory, name, ca_key="ca.key", ca_cert="ca.pem"):
    """Another certificate for 127.0.0.1 from the test CA: (key, certificate)."""
    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
            "-subj", f"/CN=127.0.0.1/O={name}")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial",
            "-out", f"{name}.pem", "-days", "2", "-extfile", "san.ext")
    return directory / f"{name}.key", directory / f"{name}.pem"


@pytest.fixture
def tls(tmp_path):
    return private_ca_and_certificate(tmp_path)


def peer_organisation(connection_socket):
    subject = dict(item[0] for item in connection_socket.getpeercert()["subject"])
    return subject.get("organizationName")


def test_every_protocol_over_https(hydrant_factory, tls, tmp_path):
    server = hydrant_factory(tls=tls)
    assert server.endpoint.startswith("https://")
    assert "serving HTTPS only (TLS 1.2 and 1.3)" in server.log_text()
    bucket, name = unique_name("b"), unique_name("st")
    server.s3().create_bucket(Bucket=bucket)
    server.create_s3_stream(name, bucket)
    records = [{"Data": f"tls {i}\n".encode()} for i in range(300)]
    assert server.firehose().put_record_batch(DeliveryStreamName=name, Records=records)["FailedPutCount"] == 0
    objects = server.wait_objects(bucket, total_bytes=sum(len(r["Data"]) for r in records))
    assert b"".join(objects[k] for k in sorted(objects)) == b"".join(r["Data"] for r in records)
    lam = boto3.session.Session().client("lambda", endpoint_url=server.endpoint, region_name="us-east-1",
                                         verify=server.ca_bundle, aws_access_key_id=ACCESS_KEY,
                                         aws_secret_access_key=SECRET_KEY)
    assert lam.list_functions()["Functions"] == []
    # The aws CLI with --ca-bundle (the harness adds it).
    listed = server.aws("firehose", "list-delivery-streams", check=True)
    assert name in json.loads(listed.stdout)["DeliveryStreamNames"]
    (tmp_path / "up.txt").write_bytes(b"over tls\n")
    server.aws("s3", "cp", str(tmp_path / "up.txt"), f"s3://{bucket}/up.txt", check=True, region="us-east-1")
    assert server.s3().get_object(Bucket=bucket, Key="up.txt")["Body"].read() == b"over tls\n"
    # The console over HTTPS: its session cookie is sent back over HTTPS only.
    context = ssl.create_default_context(cafile=server.ca_bundle)
    connection = http.client.HTTPSConnection("127.0.0.1", server.port, context=context, timeout=10)
    connection.request("GET", "/console/api/session")
    response = connection.getresponse()
    assert response.status == 200 and "; Secure" in response.getheader("Set-Cookie"), response.getheaders()
    connection.close()


def test_js_sdk_over_https(hydrant_factory, tls):
    from test_js_sdk import SCRIPT, JS_DIR, node_modules  # noqa: F401 (the fixture installs the SDK)
    if not (JS_DIR / "node_modules" / "@aws-sdk" / "client-firehose").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True, capture_output=True,
                       timeout=600)
    server = hydrant_factory(tls=tls)
    result = subprocess.run(
        ["node", "--test", "--test-reporter=tap", str(SCRIPT)], cwd=JS_DIR, capture_output=True, text=True,
        timeout=180, env={**server.client_env(), "HYDRANT_ENDPOINT": server.endpoint,
                          "NODE_EXTRA_CA_CERTS": server.ca_bundle})
    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 0, output
    assert re.search(r"^# fail 0$", result.stdout, re.M), output
    assert int(re.search(r"^# pass (\d+)$", result.stdout, re.M).group(1)) >= 9, output


def test_an_unknown_ca_or_plain_http_is_refused(hydrant_factory, tls):
    server = hydrant_factory(tls=tls)
    untrusting = boto3.session.Session().client(
        "firehose", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY, config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(SSLError):
        untrusting.list_delivery_streams()
    result = subprocess.run(["aws", "--endpoint-url", server.endpoint, "--region", "us-east-1", "firehose",
                             "list-delivery-streams"], capture_output=True, text=True, env=server.client_env(),
                            timeout=60)
    assert result.returncode != 0
    assert "SSL" in result.stderr or "certificate" in result.stderr, result.stderr
    # Plain HTTP on the TLS port: a plain 400 that says why, then the connection closes.
    plain = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    plain.request("GET", "/health")
    response = plain.getresponse()
    assert response.status == 400
    assert response.read() == b"This port speaks HTTPS only: use https:// to reach it"
    assert server.alive()


def test_tls_1_2_and_1_3_are_spoken_and_1_1_is_not(hydrant_factory, tls):
    server = hydrant_factory(tls=tls)
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        context = ssl.create_default_context(cafile=server.ca_bundle)
        context.minimum_version = context.maximum_version = version
        connection = http.client.HTTPSConnection("127.0.0.1", server.port, context=context, timeout=10)
        connection.request("GET", "/health")
        assert connection.getresponse().status == 200
        assert connection.sock.version() == {"TLSv1_2": "TLSv1.2", "TLSv1_3": "TLSv1.3"}[version.name]
        connection.close()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(server.ca_bundle)
    try:
        context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_1
        context.set_ciphers("ALL:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        pytest.skip("this OpenSSL cannot even offer TLS 1.1")  # not counted as passing
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1"):
                pass


def test_sighup_reloads_the_certificate_without_dropping_connections(hydrant_factory, tls, tmp_path):
    key, cert, ca = tls
    server = hydrant_factory(tls=tls)
    context = ssl.create_default_context(cafile=str(ca))
    kept = http.client.HTTPSConnection("127.0.0.1", server.port, context=context, timeout=10)
    kept.request("GET", "/health")
    assert kept.getresponse().read()
    assert peer_organisation(kept.sock) is None  # the first certificate has no O=

    new_key, new_cert = issue(tmp_path, "renewed")
    os.replace(new_key, key)
    os.replace(new_cert, cert)
    server.process.send_signal(signal.SIGHUP)
    wait_for(lambda: "reloaded the TLS certificate" in server.log_text(), timeout=10)
    # The open connection goes on with its session; a new one gets the renewed certificate.
    kept.request("GET", "/health")
    assert kept.getresponse().status == 200
    fresh = http.client.HTTPSConnection("127.0.0.1", server.port, context=context, timeout=10)
    fresh.request("GET", "/health")
    assert fresh.getresponse().status == 200
    assert peer_organisation(fresh.sock) == "renewed"

    # A broken file: the reload is refused and logged, the renewed certificate stays.
    cert.write_text("not a certificate")
    server.process.send_signal(signal.SIGHUP)
    wait_for(lambda: "the previous certificate stays" in server.log_text(), timeout=10)
    again = http.client.HTTPSConnection("127.0.0.1", server.port, context=context, timeout=10)
    again.request("GET", "/health")
    assert again.getresponse().status == 200
    assert peer_organisation(again.sock) == "renewed"
    for connection in (kept, fresh, again):
        connection.close()


def test_policies_see_secure_transport(hydrant_factory, tls, tmp_path):
    """A key whose policy denies everything not sent over TLS works on the HTTPS port."""
    config = tmp_path / "hydrant.yaml"
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    config.write_text("credentials:\n  - " + json.dumps({"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY,
                                                       "policy": policy}) + "\n")
    secure = hydrant_factory(tls=tls, config_file=config)
    assert isinstance(secure.firehose().list_delivery_streams()["DeliveryStreamNames"], list)
    plain = hydrant_factory(config_file=config)
    with pytest.raises(Exception) as info:
        plain.firehose().list_delivery_streams()
    assert "AccessDeniedException" in str(info.value)


def test_tls_flags_go_together(hydrant_factory, tls):
    from harness import ServerStartError
    key, cert, _ = tls
    with pytest.raises(ServerStartError) as info:
        hydrant_factory(extra_args=["--tls-cert", str(cert)])
    assert "--tls-cert and --tls-key go together" in str(info.value)
    with pytest.raises(ServerStartError) as info:
        hydrant_factory(extra_args=["--tls-cert", str(cert), "--tls-key", str(cert)])
    assert "cannot load the TLS key" in str(info.value)
