"""The hydrant command line as a user meets it: --version, a bad --listen, and a relative data
directory (what `make run` uses) given on the command line or in the config file, with the
tutorial's Lambda function running from it."""
import json
import subprocess

import pytest

from harness import REPO_ROOT, hydrant_binary
from test_transformation import BUCKET, FUNCTION, STREAM, create_seed_stream, deploy_seed_function

TRANSFORMED = {"username": "kimdh", "timestamp": "2025-08-07T10:15:00Z", "action": "login"}


def head_commit():
    result = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short=12", "HEAD"],
                            capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else None


@pytest.mark.parametrize("args", [["--version"], ["version"]])
def test_version_names_the_commit(args):
    result = subprocess.run([str(hydrant_binary()), *args], capture_output=True, text=True, timeout=10)
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip()
    assert line.startswith("hydrant ") and "(commit " in line, line
    commit = head_commit()
    if commit:  # built from this checkout, as make test does
        assert f"(commit {commit}" in line, line


@pytest.mark.parametrize("listen", ["127.0.0.1:notaport", "127.0.0.1:65536", "127.0.0.1:-1",
                                    "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999999999"])
def test_bad_listen_is_one_clear_line(tmp_path, listen):
    result = subprocess.run([str(hydrant_binary()), "serve", "--listen", listen, "--data-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "--listen must be HOST:PORT" in lines[0] and listen in lines[0], lines[0]


def put_and_read_transformed(server, tmp_path):
    server.aws("s3", "mb", f"s3://{BUCKET}", check=True)
    deploy_seed_function(server, tmp_path)
    create_seed_stream(server, tmp_path)
    server.firehose().put_record(DeliveryStreamName=STREAM, Record={"Data": json.dumps(
        {"user": "kimdh", "time": "2025-08-07T10:15:00Z", "action": "login"}).encode()})
    objects = server.wait_objects(BUCKET, prefix="etl-output/", count=1, timeout=30)
    assert [json.loads(body) for body in objects.values()] == [TRANSFORMED], server.log_text()


def test_function_runs_with_a_relative_data_dir(hydrant_factory, tmp_path):
    server = hydrant_factory(data_dir_arg="./data")
    put_and_read_transformed(server, tmp_path)
    stored = json.loads((server.data_dir / "functions" / FUNCTION / "function.json").read_text())
    assert stored["code_dir"] == str(server.data_dir / "functions" / FUNCTION / "code")


def test_function_runs_with_a_relative_data_dir_from_the_config_file(hydrant_factory, tmp_path):
    config = tmp_path / "hydrant.yaml"
    config.write_text("data_dir: ./data\n")
    server = hydrant_factory(data_dir_arg="", config_file=config)
    put_and_read_transformed(server, tmp_path)
    assert (server.data_dir / "functions" / FUNCTION / "function.json").exists()


def test_a_relative_code_path_stored_earlier_is_repaired(hydrant_factory, tmp_path):
    """Earlier versions stored the code path relative to the server's working directory; such a
    function runs after a restart, whatever --data-dir says now."""
    server = hydrant_factory()
    server.aws("s3", "mb", f"s3://{BUCKET}", check=True)
    deploy_seed_function(server, tmp_path)
    server.stop()
    definition_file = server.data_dir / "functions" / FUNCTION / "function.json"
    definition = json.loads(definition_file.read_text())
    definition["code_dir"] = f"./hydrant-data/functions/{FUNCTION}/code"
    definition_file.write_text(json.dumps(definition))

    server.restart()
    create_seed_stream(server, tmp_path)
    server.firehose().put_record(DeliveryStreamName=STREAM, Record={"Data": json.dumps(
        {"user": "kimdh", "time": "2025-08-07T10:15:00Z", "action": "login"}).encode()})
    objects = server.wait_objects(BUCKET, prefix="etl-output/", count=1, timeout=30)
    assert [json.loads(body) for body in objects.values()] == [TRANSFORMED], server.log_text()
    assert json.loads(definition_file.read_text())["code_dir"] == str(definition_file.parent / "code")
