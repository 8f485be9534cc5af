"""Fixtures for the end-to-end suites: a real hydrant process per test (or per module).

- hydrant          function-scoped server on a fresh data dir (the default: tests stay independent)
- hydrant_module   one server shared by a whole module (faster; use unique names, see unique_name)
- hydrant_factory  start(**kwargs) -> Hydrant, for servers with non-default flags
                   (max_buffered_bytes=..., activation_delay_ms=..., region=..., account_id=...)
Each yields harness.Hydrant objects (endpoint, port, data_dir, firehose(), s3(), aws(), raw(),
stop(), kill(), restart(), wait_active(), read_objects(), wait_objects()). Every server is killed at
teardown; when a test fails the logs of its servers (a cluster's nodes and NATS servers
included) are attached to the report.
"""
import itertools
import os
import uuid

import pytest

from harness import Hydrant

_counter = itertools.count()


def unique_name(prefix="t"):
    """A stream/bucket-safe name unique within the test session (lowercase, digits, dashes)."""
    return f"{prefix}-{os.getpid()}-{next(_counter)}-{uuid.uuid4().hex[:6]}"


class HydrantFactory:
    def __init__(self, tmp_path_factory):
        self._tmp = tmp_path_factory
        self.servers = []

    def __call__(self, **kwargs):
        server = Hydrant(self._tmp.mktemp("hydrant"), **kwargs)
        self.servers.append(server)
        return server.start()

    def close(self):
        for server in self.servers:
            if server.alive():
                server.kill()


@pytest.fixture
def hydrant_factory(tmp_path_factory):
    factory = HydrantFactory(tmp_path_factory)
    yield factory
    factory.close()


@pytest.fixture
def hydrant(hydrant_factory):
    return hydrant_factory()


@pytest.fixture(scope="module")
def hydrant_module(tmp_path_factory):
    factory = HydrantFactory(tmp_path_factory)
    try:
        yield factory()
    finally:
        factory.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    servers = []
    for value in getattr(item, "funcargs", {}).values():
        if isinstance(value, Hydrant):
            servers.append(value)
        elif isinstance(value, HydrantFactory):
            servers.extend(value.servers)
        elif isinstance(getattr(value, "nodes", None), list):  # a cluster fixture: its nodes
            servers.extend(n for n in value.nodes if isinstance(n, Hydrant))
    for index, server in enumerate(dict.fromkeys(servers)):
        report.sections.append((f"hydrant server {index} log ({server.root})", server.log_text()))
    nats = getattr(item, "funcargs", {}).get("nats_cluster")
    for server in getattr(nats, "servers", []):
        try:
            text = server.log_path.read_text(errors="replace")[-100_000:]
        except OSError:
            continue
        report.sections.append((f"nats-server log ({server.log_path})", text))
