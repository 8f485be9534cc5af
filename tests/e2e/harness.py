"""Test harness: starts the hydrant binary and hands out real clients (boto3, aws CLI, raw HTTP).

Used by conftest.py's fixtures; test modules import the helpers (wait_for, RawResponse) directly.
Everything here talks to the server only over loopback.
"""
import http.client
import json
import os
import re
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REPO_ROOT = Path(__file__).resolve().parents[2]
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "secret"
DEFAULT_SERVER_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"
# The region the seed tutorial's clients sign for; the server must not care.
DEFAULT_CLIENT_REGION = "ap-northeast-2"
TARGET_PREFIX = "Firehose_20150804."
LISTEN_RE = re.compile(r"hydrant listening on 127\.0\.0\.1:(\d+)")
START_TIMEOUT_S = 20.0


def seed_dir() -> Path:
    """The tutorial's files: $HYDRANT_SEED_DIR, else shared/seed beside the repository (as CI lays
    it out), else /work/shared/seed."""
    if os.environ.get("HYDRANT_SEED_DIR"):
        return Path(os.environ["HYDRANT_SEED_DIR"])
    beside = Path(__file__).resolve().parents[3] / "shared" / "seed"
    return beside if beside.is_dir() else Path("/work/shared/seed")


def hydrant_binary() -> Path:
    """The binary under test: $HYDRANT_BIN, else <repo>/build/hydrant."""
    return Path(os.environ.get("HYDRANT_BIN") or REPO_ROOT / "build" / "hydrant")


def wait_for(predicate, timeout=15.0, interval=0.1, message="condition"):
    """Polls predicate() until it returns a truthy value, which is returned; fails after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def stop_process(process, sig=signal.SIGTERM, timeout=15.0):
    """Sends sig to a test peer's process and waits for it; SIGKILL after timeout."""
    if process and process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class ServerStartError(RuntimeError):
    pass


class RawResponse:
    """A response read with http.client: status, lower-cased headers, raw body."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return f"RawResponse({self.status}, {self.headers}, {self.body[:300]!r})"


class Hydrant:
    """One hydrant server process over a data directory that outlives restarts.

    Attributes: endpoint ("http://127.0.0.1:PORT"), port, data_dir, region, account_id, root (the
    temp dir holding data/ and the server logs), process (the live subprocess.Popen or None).
    """

    def __init__(self, root, region=DEFAULT_SERVER_REGION, account_id=None, extra_args=(),
                 config_file=None, activation_delay_ms=None, max_buffered_bytes=None,
                 data_dir_arg=None, tls=None):
        """data_dir_arg: what --data-dir says, read from root (the server's working directory):
        None = the absolute path of root/data, "./data" = relative, "" = no flag (the config file
        names it). tls: (key, certificate, CA) PEM paths: the server speaks HTTPS with them and
        every client here verifies it against the CA."""
        self.root = Path(root)
        self._data_dir_arg = data_dir_arg
        self.data_dir = self.root / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.region = region
        self.account_id = account_id or DEFAULT_ACCOUNT
        self._args = ["--region", region]
        if account_id:
            self._args += ["--account-id", account_id]
        if config_file:
            self._args += ["--config", str(config_file)]
        if activation_delay_ms is not None:
            self._args += ["--stream-activation-delay-ms", str(activation_delay_ms)]
        if max_buffered_bytes is not None:
            self._args += ["--max-buffered-bytes", str(max_buffered_bytes)]
        self.ca_bundle = None
        if tls:
            key, cert, ca = tls
            self._args += ["--tls-cert", str(cert), "--tls-key", str(key)]
            self.ca_bundle = str(ca)
        self._args += list(extra_args)
        self.process = None
        self.port = None
        self.endpoint = None
        self.log_paths = []
        self._log_file = None

    # ---- process control -------------------------------------------------------------------

    def start(self, port=0):
        """Starts the server; returns once it printed its listening line and /health is 200."""
        assert self.process is None or self.process.poll() is not None, "already running"
        binary = hydrant_binary()
        if not binary.exists():
            raise ServerStartError(f"hydrant binary not found at {binary} (set HYDRANT_BIN or build it)")
        log_path = self.root / f"server-{len(self.log_paths)}.log"
        self.log_paths.append(log_path)
        self._log_file = open(log_path, "wb")
        cmd = [str(binary), "serve", "--listen", f"127.0.0.1:{port}"]
        if self._data_dir_arg is None:
            cmd += ["--data-dir", str(self.data_dir)]  # tests may point data_dir elsewhere before start()
        elif self._data_dir_arg:
            cmd += ["--data-dir", self._data_dir_arg]
        cmd += self._args
        self._log_file.write(("$ " + " ".join(cmd) + "\n").encode())
        self._log_file.flush()
        self.process = subprocess.Popen(cmd, cwd=self.root, stdin=subprocess.DEVNULL, stdout=self._log_file,
                                        stderr=self._log_file)
        deadline = time.monotonic() + START_TIMEOUT_S
        found = None
        while found is None:
            match = LISTEN_RE.search(log_path.read_text(errors="replace"))
            if match:
                found = int(match.group(1))
                break
            if self.process.poll() is not None:
                raise ServerStartError(
                    f"hydrant exited with {self.process.returncode} before listening:\n{self.log_text()}")
            if time.monotonic() > deadline:
                self.kill()
                raise ServerStartError(f"hydrant did not print its listening line:\n{self.log_text()}")
            time.sleep(0.02)
        self.port = found
        self.endpoint = f"{'https' if self.ca_bundle else 'http'}://127.0.0.1:{found}"
        wait_for(lambda: self._health_ok(), timeout=max(1.0, deadline - time.monotonic()),
                 interval=0.05, message="GET /health == 200")
        return self

    def _health_ok(self):
        if self.process.poll() is not None:
            raise ServerStartError(f"hydrant exited with {self.process.returncode}:\n{self.log_text()}")
        try:
            context = ssl.create_default_context(cafile=self.ca_bundle) if self.ca_bundle else None
            with urllib.request.urlopen(self.endpoint + "/health", timeout=2, context=context) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, OSError):
            return False

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=60.0):
        """Sends sig and waits for the process to exit; returns its exit code (None if not running)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"hydrant did not exit within {timeout}s of signal {sig}")
        self._close_log()
        return self.process.returncode

    def kill(self):
        """SIGKILL: the crash case. Returns the exit code (-9)."""
        return self.stop(signal.SIGKILL, timeout=10.0)

    def restart(self, same_port=True):
        """Stops the process if it runs (SIGTERM), then starts a new one on the same data dir.

        Tries the previous port first so that clients made before the restart keep working; falls
        back to a fresh port if that one cannot be bound. Always read .endpoint afterwards.
        """
        if self.alive():
            code = self.stop()
            assert code == 0, f"SIGTERM exit code {code}:\n{self.log_text()}"
        self._close_log()
        if same_port and self.port:
            try:
                return self.start(port=self.port)
            except ServerStartError:
                pass
        return self.start(port=0)

    def _close_log(self):
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log_text(self, max_chars=200_000):
        parts = []
        for path in self.log_paths:
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            if len(text) > max_chars:
                text = "...[truncated]...\n" + text[-max_chars:]
            parts.append(f"----- {path.name} -----\n{text}")
        return "\n".join(parts)

    # ---- clients ---------------------------------------------------------------------------

    def client_env(self, **extra):
        """Environment for a child process (aws CLI, producer.py): dummy credentials, no user config."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_CONFIG_FILE": str(self.root / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.root / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_PAGER": "",
        })
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def firehose(self, region=DEFAULT_CLIENT_REGION, max_attempts=None, read_timeout=30,
                 parameter_validation=True):
        """A boto3 Firehose client for this server.

        max_attempts=1 disables retries; parameter_validation=False lets values that botocore
        would reject locally (below a model minimum) reach the server.
        """
        retries = {"total_max_attempts": max_attempts} if max_attempts else {}
        config = Config(connect_timeout=5, read_timeout=read_timeout, retries=retries,
                        parameter_validation=parameter_validation)
        return boto3.session.Session().client(
            "firehose", endpoint_url=self.endpoint, region_name=region, verify=self.ca_bundle,
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, config=config)

    def glue(self, region=DEFAULT_CLIENT_REGION, parameter_validation=True):
        """A boto3 Glue client for this server's Data Catalog."""
        config = Config(connect_timeout=5, read_timeout=30, retries={"total_max_attempts": 1},
                        parameter_validation=parameter_validation)
        return boto3.session.Session().client(
            "glue", endpoint_url=self.endpoint, region_name=region, verify=self.ca_bundle,
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, config=config)

    def s3(self, region="us-east-1"):
        """A boto3 S3 client with path-style addressing for the embedded object store."""
        config = Config(connect_timeout=5, read_timeout=30, s3={"addressing_style": "path"})
        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name=region, verify=self.ca_bundle,
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, config=config)

    def aws(self, *args, check=False, region=DEFAULT_CLIENT_REGION, input=None, timeout=120, env=None,
            endpoint=True, cwd=None):
        """Runs the `aws` CLI on PATH (v1) against this server; returns the CompletedProcess (text)."""
        cmd = ["aws"]
        if endpoint:
            cmd += ["--endpoint-url", self.endpoint]
            if self.ca_bundle:
                cmd += ["--ca-bundle", self.ca_bundle]
        cmd += ["--region", region, *args]
        result = subprocess.run(cmd, capture_output=True, text=True, input=input, timeout=timeout,
                                env=self.client_env(**(env or {})), cwd=cwd)
        if check and result.returncode != 0:
            raise AssertionError(f"{cmd} exited {result.returncode}\nstdout: {result.stdout}\n"
                                 f"stderr: {result.stderr}")
        return result

    def raw(self, method="POST", path="/", body=b"", headers=None, target=None, sign=True,
            region=DEFAULT_CLIENT_REGION, service="firehose", timeout=30):
        """Sends one hand-made HTTP request (optionally SigV4-signed); returns a RawResponse.

        For Firehose calls pass target="PutRecord" etc.; body may be bytes, str or a dict (JSON).
        """
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        all_headers = {"Content-Type": "application/x-amz-json-1.1"} if target or method == "POST" else {}
        if target:
            all_headers["X-Amz-Target"] = target if "." in target else TARGET_PREFIX + target
        all_headers.update(headers or {})
        if sign:
            request = AWSRequest(method=method, url=self.endpoint + path, data=body, headers=all_headers)
            SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), service, region).add_auth(request)
            all_headers = dict(request.headers.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            return RawResponse(response.status, {k.lower(): v for k, v in response.getheaders()},
                               response.read())
        finally:
            connection.close()

    # ---- Firehose / S3 conveniences --------------------------------------------------------

    def arn(self, name):
        return f"arn:aws:firehose:{self.region}:{self.account_id}:deliverystream/{name}"

    def create_s3_stream(self, name, bucket, prefix="", size_mb=1, interval_s=1, client=None, wait=True,
                         **extra):
        """CreateDeliveryStream with an ExtendedS3 destination; waits for ACTIVE by default."""
        config = {
            "RoleARN": f"arn:aws:iam::{self.account_id}:role/firehose-role",
            "BucketARN": f"arn:aws:s3:::{bucket}",
            "Prefix": prefix,
            "BufferingHints": {"SizeInMBs": size_mb, "IntervalInSeconds": interval_s},
        }
        config.update(extra)
        client = client or self.firehose()
        response = client.create_delivery_stream(
            DeliveryStreamName=name, DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration=config)
        if wait:
            self.wait_active(name, client=client)
        return response

    def wait_active(self, name, timeout=15.0, client=None):
        """Polls DescribeDeliveryStream until ACTIVE; returns the description."""
        client = client or self.firehose()

        def active():
            description = client.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
            return description if description["DeliveryStreamStatus"] == "ACTIVE" else None

        return wait_for(active, timeout=timeout, interval=0.1, message=f"stream {name} ACTIVE")

    def read_objects(self, bucket, prefix=""):
        """{key: bytes} of every object under prefix, via boto3 ListObjectsV2 + GetObject."""
        s3 = self.s3()
        objects = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                objects[item["Key"]] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        return objects

    def wait_objects(self, bucket, prefix="", total_bytes=None, count=1, timeout=20.0):
        """Waits until the objects under prefix hold total_bytes (or at least count objects)."""

        def ready():
            try:
                objects = self.read_objects(bucket, prefix)
            except Exception:  # bucket missing or server busy: keep polling
                return None
            if total_bytes is not None:
                return objects if sum(map(len, objects.values())) >= total_bytes else None
            return objects if len(objects) >= count else None

        return wait_for(ready, timeout=timeout, interval=0.2,
                        message=f"objects in s3://{bucket}/{prefix} (bytes={total_bytes}, count={count})")
