"""The Lambda API on Hydrant's port: function management with the aws CLI and boto3, and local
execution through the Lambda Runtime API (Python and Node.js handlers, errors, timeouts, crashes,
persistence across restarts)."""
import base64
import io
import json
import zipfile

import boto3
import pytest
from botocore.config import Config

import harness

ROLE = "arn:aws:iam::123456789012:role/lambda-role"

ECHO_PY = """
import os
def lambda_handler(event, context):
    return {"event": event, "function_name": context.function_name,
            "arn": context.invoked_function_arn, "request_id": context.aws_request_id,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "memory": context.memory_limit_in_mb, "version": context.function_version,
            "greeting": os.environ.get("GREETING"), "region": os.environ.get("AWS_REGION")}
"""

BEHAVIOURS_PY = """
import os, time
def fail(event, context):
    raise KeyError("no such thing")
def sleepy(event, context):
    time.sleep(event.get("sleep", 30))
    return "awake"
def crash(event, context):
    os._exit(7)
"""

NODE_JS = """
exports.handler = async (event, context) => ({
  doubled: event.n * 2, name: context.functionName, arn: context.invokedFunctionArn,
  left: context.getRemainingTimeInMillis(),
});
"""


def make_zip(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def lambda_client(server, max_attempts=1):
    config = Config(connect_timeout=5, read_timeout=60, retries={"total_max_attempts": max_attempts})
    return boto3.session.Session().client(
        "lambda", endpoint_url=server.endpoint, region_name=harness.DEFAULT_CLIENT_REGION,
        aws_access_key_id=harness.ACCESS_KEY, aws_secret_access_key=harness.SECRET_KEY, config=config)


def create(client, name, files, handler, runtime="python3.11", **extra):
    return client.create_function(FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler,
                                  Code={"ZipFile": make_zip(files)}, **extra)


def invoke(client, name, event):
    response = client.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    return response, json.loads(response["Payload"].read())


def arn(server, name):
    return f"arn:aws:lambda:{server.region}:{server.account_id}:function:{name}"


def test_cli_create_function_and_invoke(hydrant, tmp_path):
    (tmp_path / "fn.zip").write_bytes(make_zip({"lambda_function.py": ECHO_PY}))
    created = hydrant.aws("lambda", "create-function", "--function-name", "echo",
                          "--zip-file", "fileb://fn.zip", "--handler", "lambda_function.lambda_handler",
                          "--runtime", "python3.11", "--role", ROLE, "--timeout", "10",
                          "--environment", "Variables={GREETING=hi}", check=True, cwd=tmp_path)
    configuration = json.loads(created.stdout)
    assert configuration["FunctionArn"] == arn(hydrant, "echo")
    assert configuration["Runtime"] == "python3.11"
    assert configuration["Handler"] == "lambda_function.lambda_handler"
    assert configuration["State"] == "Active"
    assert configuration["Version"] == "$LATEST"
    assert configuration["Timeout"] == 10
    assert configuration["LastModified"].endswith("+0000")
    digest = __import__("hashlib").sha256((tmp_path / "fn.zip").read_bytes()).digest()
    assert configuration["CodeSha256"] == base64.b64encode(digest).decode()

    (tmp_path / "event.json").write_text(json.dumps({"hello": "world"}))
    result = hydrant.aws("lambda", "invoke", "--function-name", "echo", "--payload",
                         "file://event.json", "out.json", check=True, cwd=tmp_path)
    metadata = json.loads(result.stdout)
    assert metadata["StatusCode"] == 200
    assert metadata["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in metadata
    output = json.loads((tmp_path / "out.json").read_text())
    assert output["event"] == {"hello": "world"}
    assert output["function_name"] == "echo"
    assert output["arn"] == arn(hydrant, "echo")
    assert output["greeting"] == "hi"
    assert output["region"] == hydrant.region
    assert output["version"] == "$LATEST"
    assert 0 < output["remaining_ms"] <= 10_000

    listed = json.loads(hydrant.aws("lambda", "list-functions", check=True).stdout)
    assert [f["FunctionName"] for f in listed["Functions"]] == ["echo"]
    missing = hydrant.aws("lambda", "get-function", "--function-name", "nope")
    assert missing.returncode != 0
    assert "ResourceNotFoundException" in missing.stderr
    assert f"Function not found: {arn(hydrant, 'nope')}" in missing.stderr


def test_seed_transform_function_with_a_firehose_event(hydrant):
    client = lambda_client(hydrant)
    seed_code = (harness.seed_dir() / "lambda_function.py").read_text()
    create(client, "TransformETLFunction", {"lambda_function.py": seed_code},
           "lambda_function.lambda_handler", Timeout=60)
    good = {"user": "kim", "time": "2024-01-01T00:00:00", "action": "login", "extra": 1}
    event = {
        "invocationId": "11111111-2222-3333-4444-555555555555",
        "deliveryStreamArn": f"arn:aws:firehose:{hydrant.region}:{hydrant.account_id}:deliverystream/s",
        "region": hydrant.region,
        "records": [
            {"recordId": "r1", "approximateArrivalTimestamp": 1700000000000,
             "data": base64.b64encode(json.dumps(good).encode()).decode()},
            # what the seed's producer.py sends: base64 applied twice, so the handler cannot parse it
            {"recordId": "r2", "approximateArrivalTimestamp": 1700000000001,
             "data": base64.b64encode(base64.b64encode(json.dumps(good).encode())).decode()},
        ],
    }
    response, result = invoke(client, "TransformETLFunction", event)
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    records = {r["recordId"]: r for r in result["records"]}
    assert records["r1"]["result"] == "Ok"
    assert json.loads(base64.b64decode(records["r1"]["data"])) == {
        "username": "kim", "timestamp": "2024-01-01T00:00:00", "action": "login"}
    assert records["r2"]["result"] == "ProcessingFailed"
    assert records["r2"]["data"] == event["records"][1]["data"]
    # Lambda-style ARN resolution, as a stream's LambdaArn would name it
    response, _ = invoke(client, arn(hydrant, "TransformETLFunction") + ":$LATEST", event)
    assert response["StatusCode"] == 200


def test_nodejs_handler(hydrant):
    client = lambda_client(hydrant)
    create(client, "node-fn", {"index.js": NODE_JS}, "index.handler", runtime="nodejs20.x", Timeout=5)
    response, result = invoke(client, "node-fn", {"n": 21})
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert result["doubled"] == 42
    assert result["name"] == "node-fn"
    assert result["arn"] == arn(hydrant, "node-fn")
    assert 0 < result["left"] <= 5000


def test_raising_timing_out_and_crashing_functions(hydrant):
    client = lambda_client(hydrant)
    files = {"behaviours.py": BEHAVIOURS_PY}
    create(client, "fails", files, "behaviours.fail")
    create(client, "sleeps", files, "behaviours.sleepy", Timeout=1)
    create(client, "crashes", files, "behaviours.crash")

    response, error = invoke(client, "fails", {})
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "KeyError"
    assert "no such thing" in error["errorMessage"]
    assert isinstance(error["stackTrace"], list)

    response, error = invoke(client, "sleeps", {"sleep": 30})
    assert response["FunctionError"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in error["errorMessage"]
    # the hung worker was replaced: the function still answers
    response, result = invoke(client, "sleeps", {"sleep": 0})
    assert "FunctionError" not in response and result == "awake"

    response, error = invoke(client, "crashes", {})
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ExitError"
    assert "exit status 7" in error["errorMessage"]
    response, error = invoke(client, "crashes", {})  # a fresh worker, which crashes again
    assert error["errorType"] == "Runtime.ExitError"


def test_management_errors_update_and_delete(hydrant, tmp_path):
    client = lambda_client(hydrant)
    create(client, "fn", {"lambda_function.py": ECHO_PY}, "lambda_function.lambda_handler")
    with pytest.raises(client.exceptions.ResourceConflictException) as conflict:
        create(client, "fn", {"lambda_function.py": ECHO_PY}, "lambda_function.lambda_handler")
    assert "Function already exist: fn" in str(conflict.value)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function(FunctionName="ghost")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="ghost", Payload=b"{}")
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        client.create_function(FunctionName="badzip", Runtime="python3.11", Role=ROLE,
                               Handler="a.b", Code={"ZipFile": b"this is no zip"})
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        create(client, "ruby", {"a.rb": "x"}, "a.b", runtime="ruby3.2")

    client.update_function_configuration(FunctionName="fn", Environment={"Variables": {"GREETING": "updated"}},
                                         Timeout=7)
    _, result = invoke(client, "fn", {})
    assert result["greeting"] == "updated"
    updated = client.update_function_code(
        FunctionName="fn", ZipFile=make_zip({"lambda_function.py": "def lambda_handler(e, c):\n    return 'v2'\n"}))
    assert updated["Timeout"] == 7
    _, result = invoke(client, "fn", {})
    assert result == "v2"
    got = client.get_function(FunctionName=arn(hydrant, "fn"))
    assert got["Configuration"]["CodeSha256"] == updated["CodeSha256"]
    assert got["Configuration"]["Environment"]["Variables"] == {"GREETING": "updated"}

    # Code from a local directory (Hydrant extension: S3Bucket "hydrant-local", S3Key = the path)
    source = tmp_path / "src"
    source.mkdir()
    (source / "app.py").write_text("def handle(e, c):\n    return {'local': True}\n")
    client.create_function(FunctionName="local-dir", Runtime="python3.11", Role=ROLE, Handler="app.handle",
                           Code={"S3Bucket": "hydrant-local", "S3Key": str(source)})
    _, result = invoke(client, "local-dir", {})
    assert result == {"local": True}

    client.delete_function(FunctionName="fn")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function(FunctionName="fn")
    assert [f["FunctionName"] for f in client.list_functions()["Functions"]] == ["local-dir"]


def test_functions_survive_restart_and_crash(hydrant):
    client = lambda_client(hydrant)
    create(client, "keeper", {"lambda_function.py": ECHO_PY}, "lambda_function.lambda_handler",
           Environment={"Variables": {"GREETING": "persisted"}}, Timeout=9)
    _, before = invoke(client, "keeper", {"n": 1})
    assert before["greeting"] == "persisted"

    hydrant.restart()
    client = lambda_client(hydrant)
    configuration = client.get_function(FunctionName="keeper")["Configuration"]
    assert configuration["Timeout"] == 9
    _, after = invoke(client, "keeper", {"n": 2})
    assert after["event"] == {"n": 2} and after["greeting"] == "persisted"

    hydrant.kill()
    hydrant.start(port=0)
    client = lambda_client(hydrant)
    _, again = invoke(client, "keeper", {"n": 3})
    assert again["event"] == {"n": 3}
    assert [f["FunctionName"] for f in client.list_functions()["Functions"]] == ["keeper"]


def test_config_declared_local_and_remote_functions(hydrant, hydrant_factory, tmp_path):
    # Server A holds a function made through the API; server B declares, in its config file, the
    # seed's code directory as a local function and A's function as a remote one (SigV4-signed
    # Invoke against A's Lambda API).
    client_a = lambda_client(hydrant)
    create(client_a, "echo", {"lambda_function.py": ECHO_PY}, "lambda_function.lambda_handler",
           Environment={"Variables": {"GREETING": "from-a"}})
    config = tmp_path / "hydrant.yaml"
    config.write_text(f"""
functions:
  - name: TransformETLFunction
    code_dir: {harness.seed_dir()}
    runtime: python3.11
    handler: lambda_function.lambda_handler
    timeout: 60
    concurrency: 2
  - name: remote-echo
    endpoint: {hydrant.endpoint}
    region: {hydrant.region}
    access_key_id: {harness.ACCESS_KEY}
    secret_access_key: {harness.SECRET_KEY}
    function: {arn(hydrant, "echo")}
""")
    server_b = hydrant_factory(config_file=config)
    client_b = lambda_client(server_b)
    names = sorted(f["FunctionName"] for f in client_b.list_functions()["Functions"])
    assert names == ["TransformETLFunction", "remote-echo"]

    record = {"user": "lee", "time": "t", "action": "buy"}
    event = {"invocationId": "i", "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/s",
             "region": "us-east-1",
             "records": [{"recordId": "1", "approximateArrivalTimestamp": 1,
                          "data": base64.b64encode(json.dumps(record).encode()).decode()}]}
    _, result = invoke(client_b, "TransformETLFunction", event)
    assert result["records"][0]["result"] == "Ok"

    response, result = invoke(client_b, "remote-echo", {"via": "b"})
    assert "FunctionError" not in response
    assert result["event"] == {"via": "b"}
    assert result["greeting"] == "from-a"
    assert result["function_name"] == "echo"

    # Declared functions belong to the config file: the API cannot delete them.
    with pytest.raises(client_b.exceptions.ResourceConflictException):
        client_b.delete_function(FunctionName="TransformETLFunction")


def test_remote_function_over_https_is_verified_against_its_ca_bundle(hydrant_factory, tmp_path):
    """A remote function's https endpoint with a certificate from a private CA: refused without
    the function's ca_bundle, invoked with it, and invoked with insecure_skip_verify (logged)."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from test_remote_s3 import private_ca_and_certificate

    key, cert, ca = private_ca_and_certificate(tmp_path)

    class Invoke(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            reply = json.dumps({"echo": json.loads(body), "path": self.path}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Invoke)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        endpoint = f"https://127.0.0.1:{httpd.server_address[1]}"
        config = tmp_path / "hydrant.yaml"
        config.write_text(f"""
functions:
  - {{name: trusted, endpoint: "{endpoint}", region: us-east-1, access_key_id: a, secret_access_key: b,
     ca_bundle: "{ca}"}}
  - {{name: untrusted, endpoint: "{endpoint}", region: us-east-1, access_key_id: a, secret_access_key: b}}
  - {{name: unverified, endpoint: "{endpoint}", region: us-east-1, access_key_id: a, secret_access_key: b,
     insecure_skip_verify: true}}
""")
        server = hydrant_factory(config_file=config)
        client = lambda_client(server)
        _, result = invoke(client, "trusted", {"n": 1})
        assert result == {"echo": {"n": 1}, "path": "/2015-03-31/functions/trusted/invocations"}
        with pytest.raises(client.exceptions.ServiceException) as refused:
            invoke(client, "untrusted", {"n": 2})
        assert "certificate" in str(refused.value)
        assert "function unverified: insecure_skip_verify is set" in server.log_text()
        _, result = invoke(client, "unverified", {"n": 3})
        assert result["echo"] == {"n": 3}
    finally:
        httpd.shutdown()
