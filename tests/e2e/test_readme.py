"""The README's quick starts, run as written and in order, against a server started the way
`make run` starts it (its recipe and DATA_DIR are read from the Makefile: a relative data
directory, in the working directory the commands run from).

The ```sh blocks of the "## Quick start..." sections run in one bash session (set -euo pipefail),
so variables and `cd` carry over as in the user's terminal. Two substitutions only: the port
(4573 → a free one, as two servers cannot share it) and /tmp/ → a private folder. Between blocks
the test does what the README's prose says: wait for the buffering interval, and press Ctrl-C on
`make run` and start it again. The tutorial's files sit at ../shared/seed, as in the README.
"""
import base64
import json
import os
import re
import signal
import socket
import subprocess
import time

import boto3
import pytest
from botocore.config import Config

from harness import REPO_ROOT, hydrant_binary, seed_dir, wait_for

README = REPO_ROOT / "README.md"
MAKEFILE = REPO_ROOT / "Makefile"
BUCKET = "firehose-etl-demo-bucket"
TRANSFORMED = {"username": "kimdh", "timestamp": "2025-08-07T10:15:00Z", "action": "login"}
PRODUCER_RECORD = base64.b64encode(json.dumps(
    {"user": "kimdh", "time": "2025-08-07T10:15:00Z", "action": "login"}).encode())


def quick_start_blocks():
    blocks = []
    for section in re.split(r"^## ", README.read_text(), flags=re.M):
        if section.startswith("Quick start"):
            blocks += re.findall(r"^```sh\n(.*?)^```", section, flags=re.M | re.S)
    return blocks


def make_run_command(port):
    """`make run`'s recipe with the Makefile's defaults, as argv."""
    makefile = MAKEFILE.read_text()
    defaults = dict(re.findall(r"^(\w+) \?= (.*)$", makefile, flags=re.M))
    recipe = re.search(r"^run: .*\n\t(.*)$", makefile, flags=re.M).group(1)
    values = {**defaults, "BUILD_DIR": None, "LISTEN": f"127.0.0.1:{port}"}
    argv = []
    for word in recipe.split():
        if word == "$(BUILD_DIR)/hydrant":
            argv.append(str(hydrant_binary()))
        else:
            argv.append(re.sub(r"\$\((\w+)\)", lambda m: values[m.group(1)], word))
    return argv


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Terminal:
    """One bash session fed block by block, like the user's second terminal."""

    def __init__(self, cwd, env, log_path, done_dir):
        self.log_path = log_path
        self.done_dir = done_dir
        self.log = open(log_path, "wb")
        self.process = subprocess.Popen(["bash"], cwd=cwd, env=env, stdin=subprocess.PIPE,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.count = 0
        self.send("set -euo pipefail")

    def send(self, text, timeout=180):
        self.count += 1
        done = self.done_dir / f"block-{self.count}"
        self.process.stdin.write(f"{text}\ntouch {done}\n".encode())
        self.process.stdin.flush()
        deadline = time.monotonic() + timeout
        while not done.exists():
            assert self.process.poll() is None, f"a command failed:\n{self.output()}"
            assert time.monotonic() < deadline, f"block timed out:\n{self.output()}"
            time.sleep(0.1)

    def output(self):
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=10)
        self.log.close()


class MakeRun:
    """The `make run` terminal: the server in the project folder, stopped with Ctrl-C."""

    def __init__(self, cwd, port, log_dir):
        self.cwd, self.port, self.log_dir = cwd, port, log_dir
        self.process = None
        self.starts = 0

    def start(self):
        self.starts += 1
        log = open(self.log_dir / f"make-run-{self.starts}.log", "wb")
        self.process = subprocess.Popen(make_run_command(self.port), cwd=self.cwd, stdin=subprocess.DEVNULL,
                                        stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for(lambda: self._healthy(), timeout=20, message="make run's server to answer /health")

    def _healthy(self):
        assert self.process.poll() is None, self.logs()
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                return s.recv(64).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    def ctrl_c(self):
        self.process.send_signal(signal.SIGINT)
        assert self.process.wait(timeout=60) == 0, self.logs()

    def logs(self):
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("make-run-*.log")))

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def workspace(tmp_path):
    """<tmp>/main (the repository's place: server and shell run here), <tmp>/shared/seed."""
    (tmp_path / "main").mkdir()
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "seed").symlink_to(seed_dir())
    (tmp_path / "tmp").mkdir()
    return tmp_path


def test_quick_starts_run_as_written(workspace):
    blocks = quick_start_blocks()
    # Pipeline: commands, then the listing after the interval; transformation: commands, then
    # the listing after Ctrl-C and a restart. A change to this shape needs a change here.
    assert len(blocks) == 4, blocks

    project, port = workspace / "main", free_port()
    server = MakeRun(project, port, workspace)
    # The user's credentials and region come from the README's own `export` line.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(workspace / "no-config"), AWS_SHARED_CREDENTIALS_FILE=str(workspace / "no-creds"),
               AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="")
    terminal = Terminal(project, env, workspace / "terminal.log", workspace / "tmp")

    def as_written(block):
        return block.replace("127.0.0.1:4573", f"127.0.0.1:{port}").replace("/tmp/", f"{workspace}/tmp/")

    try:
        server.start()
        command = make_run_command(port)
        assert not command[command.index("--data-dir") + 1].startswith("/"), "make run's data dir is relative"

        # Quick start 1: the pipeline without transformation.
        terminal.send(as_written(blocks[0]))
        assert "failed: 0" in terminal.output()
        # "After the buffering interval (60 s here)": the server says when it delivered.
        wait_for(lambda: "delivered s3://" + BUCKET in server.logs(), timeout=120, interval=1,
                 message="the first delivery (60 s interval)")
        terminal.send(as_written(blocks[1]))
        delivered = b"".join(p.read_bytes() for p in sorted((project / "delivered").rglob("*")) if p.is_file())
        assert PRODUCER_RECORD in delivered
        assert b'{"user": "kimdh", "action": "login"}\n' in delivered
        for i in range(100):
            assert b'{"n": %d}\n' % i in delivered
        assert (project / "hydrant-data").is_dir(), "make run keeps its data in ./hydrant-data"

        # Quick start 2: the tutorial's Lambda. Then Ctrl-C on make run, and make run again.
        terminal.send(as_written(blocks[2]))
        server.ctrl_c()
        server.start()
        before = len(terminal.output())
        terminal.send(as_written(blocks[3]))
        listing = terminal.output()[before:]
        assert re.search(r"etl-output/processing-failed/\d{4}/\d{2}/\d{2}/\d{2}/firehose-etl-stream-1-", listing), listing

        s3 = boto3_s3(port)
        bodies = {o["Key"]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()
                  for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="etl-output/")["Contents"]}
        transformed = [k for k, body in bodies.items() if body.strip() and is_json(body) == TRANSFORMED]
        assert len(transformed) == 1 and not transformed[0].startswith("etl-output/processing-failed/"), bodies
        errors = [json.loads(line) for k, body in bodies.items() if k.startswith("etl-output/processing-failed/")
                  for line in body.splitlines()]
        assert [base64.b64decode(e["rawData"]) for e in errors] == [PRODUCER_RECORD], errors
        assert errors[0]["lambdaArn"].endswith(":function:TransformETLFunction")
    finally:
        terminal.close()
        server.stop()


def is_json(body):
    try:
        return json.loads(body)
    except ValueError:
        return None


def boto3_s3(port):
    return boto3.session.Session().client(
        "s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1", aws_access_key_id="local",
        aws_secret_access_key="local", config=Config(s3={"addressing_style": "path"}))
