#!/usr/bin/env python3
"""Runs pytest under the machine's python3 (pyenv, which has boto3/botocore/awscli/moto but no pytest).

Debian's python3-pytest lives in /usr/lib/python3/dist-packages, which pyenv's interpreter does not
see. We append that directory to the END of sys.path so that everything pyenv has (boto3 1.43,
botocore, ...) keeps precedence over Debian's older copies, and only what pyenv lacks (pytest,
pluggy, iniconfig, py, packaging) comes from Debian.

Usage: python3 tests/run_pytest.py [pytest args...]   (no args: tests/e2e)
"""
import os
import sys

DEBIAN_DIST_PACKAGES = "/usr/lib/python3/dist-packages"

if os.path.isdir(DEBIAN_DIST_PACKAGES) and DEBIAN_DIST_PACKAGES not in sys.path:
    sys.path.append(DEBIAN_DIST_PACKAGES)

# Plugins auto-discovered from Debian's dist-packages may not load under another interpreter.
os.environ.setdefault("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")

import pytest  # noqa: E402  (must come after the sys.path change)

if __name__ == "__main__":
    # With no arguments, run the end-to-end suites next to this file.
    args = sys.argv[1:] or [os.path.join(os.path.dirname(os.path.abspath(__file__)), "e2e")]
    sys.exit(pytest.main(args))
