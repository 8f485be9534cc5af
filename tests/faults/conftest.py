"""Fixtures for the fault-injection suites: the end-to-end fixtures of tests/e2e, re-exported.

tests/e2e goes on sys.path so that `harness` and the e2e conftest import as they do there; the
fixtures (hydrant, hydrant_factory, hydrant_module) and the failure-report hook are the same
objects, so a failing test here gets its server logs attached exactly as in tests/e2e.
"""
import os
import random
import sys
from pathlib import Path

import pytest

E2E_DIR = Path(__file__).resolve().parents[1] / "e2e"
if str(E2E_DIR) not in sys.path:
    sys.path.insert(0, str(E2E_DIR))

import importlib.util  # noqa: E402

# Loaded under its own name: a plain `import conftest` would find this file again.
_spec = importlib.util.spec_from_file_location("e2e_conftest", E2E_DIR / "conftest.py")
e2e_conftest = importlib.util.module_from_spec(_spec)
sys.modules["e2e_conftest"] = e2e_conftest
_spec.loader.exec_module(e2e_conftest)

hydrant_factory = e2e_conftest.hydrant_factory
hydrant = e2e_conftest.hydrant
hydrant_module = e2e_conftest.hydrant_module
pytest_runtest_makereport = e2e_conftest.pytest_runtest_makereport
unique_name = e2e_conftest.unique_name


@pytest.fixture
def rng(request):
    """A random.Random seeded from $HYDRANT_FAULT_SEED or fresh; the seed is printed (and shown in
    the failure report) so that a failing timing can be replayed."""
    seed = int(os.environ.get("HYDRANT_FAULT_SEED") or random.SystemRandom().randrange(1 << 32))
    print(f"\n[{request.node.name}] HYDRANT_FAULT_SEED={seed}")
    request.node.user_properties.append(("HYDRANT_FAULT_SEED", seed))
    return random.Random(seed)
