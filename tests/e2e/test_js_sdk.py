"""The AWS SDK for JavaScript v3 (tests/js/firehose_sdk.test.mjs) against a real hydrant."""
import re
import shutil
import subprocess

import pytest

from harness import ACCESS_KEY, REPO_ROOT, SECRET_KEY

JS_DIR = REPO_ROOT / "tests" / "js"
SCRIPT = JS_DIR / "firehose_sdk.test.mjs"


@pytest.fixture(scope="module")
def node_modules():
    if shutil.which("node") is None:
        pytest.fail("node is not installed")
    if not (JS_DIR / "node_modules" / "@aws-sdk" / "client-firehose").is_dir():
        # Reproducible install from the committed lock file.
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True,
                       capture_output=True, timeout=600)
    return JS_DIR / "node_modules"


@pytest.mark.parametrize("auth", [False, True], ids=["open", "signatures verified"])
def test_js_sdk_v3_end_to_end(hydrant_factory, node_modules, tmp_path, auth):
    extra = {}
    if auth:
        # The server knows the key the SDK signs with; the last block tries a wrong one.
        config = tmp_path / "hydrant.yaml"
        config.write_text(f"credentials:\n  - access_key_id: {ACCESS_KEY}\n    secret_access_key: {SECRET_KEY}\n")
        extra = {"config_file": config}
    hydrant = hydrant_factory(**extra)
    result = subprocess.run(
        ["node", "--test", "--test-reporter=tap", str(SCRIPT)], cwd=JS_DIR, capture_output=True, text=True,
        timeout=180, env={**hydrant.client_env(), "HYDRANT_ENDPOINT": hydrant.endpoint,
                          "HYDRANT_AUTH": "1" if auth else "0"})
    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 0, output
    passed = re.search(r"^# pass (\d+)$", result.stdout, re.M)
    failed = re.search(r"^# fail (\d+)$", result.stdout, re.M)
    assert passed and failed, output
    assert int(failed.group(1)) == 0, output
    # The describe block holds 9 cases, the signature block 2 more ("# pass" counts cases; a
    # skipped block is not counted as passing).
    assert int(passed.group(1)) >= (11 if auth else 9), output
