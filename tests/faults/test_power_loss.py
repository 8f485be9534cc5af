"""Simulated power loss: SIGKILL, then every byte not covered by a successful fsync/fdatasync is
cut away before the restart.

The server runs with powerloss_shim.c preloaded (built here with cc). The shim logs each write
before it happens and each successful fsync/fdatasync, with the file's size, after it returns,
for every file under the data directory; renames, unlinks and truncations are logged too. After
each SIGKILL, replay_power_loss() truncates every file written since its last sync back to its
size at that sync (files never synced: back to their size when the server started, 0 if new),
or, for half of them, to a random point inside the unsynced part (a torn tail: some of it was
written back). That is what a power cut can leave of appended data. Directory entries (create/rename without a
directory fsync) are NOT simulated as lost, nor are torn or reordered writes within one write().

Checked: every acknowledged record exactly once, every acknowledged CreateDeliveryStream still
there, the shim saw the WAL's syncs (so the simulation was live), and how many unsynced bytes
each crash cut (printed).
"""
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from faults import Ledger, Producer, account, wait_delivered

SHIM_SOURCE = Path(__file__).with_name("powerloss_shim.c")


@pytest.fixture(scope="module")
def shim(tmp_path_factory):
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.fail("no C compiler to build the power-loss shim")
    library = tmp_path_factory.mktemp("shim") / "powerloss_shim.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", str(library), str(SHIM_SOURCE),
                    "-ldl", "-lpthread"], check=True, capture_output=True)
    return library


def file_sizes(root):
    return {str(p): p.stat().st_size for p in Path(root).rglob("*") if p.is_file()}


def replay_power_loss(log_path, baseline, rng):
    """Cuts every file under the data dir back to its last synced size, or, for half of the files
    (chosen by rng), to a random point between that size and its current size (part of the
    unsynced data reached the disk: a torn tail). Returns {path: bytes cut}."""
    state = {}  # path -> [durable size, written since]

    def entry(path):
        return state.setdefault(path, [baseline.get(path, 0), False])

    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    for line in text.splitlines():
        kind, rest = line[:1], line[2:]
        if kind == "W":
            entry(rest)[1] = True
        elif kind == "S":
            size, path = rest.split(" ", 1)
            state[path] = [int(size), False]
        elif kind == "T":
            size, path = rest.split(" ", 1)
            item = entry(path)
            item[0] = min(item[0], int(size))
        elif kind == "R":
            source, target = rest.split("\t", 1)
            for path in [p for p in state if p == source or p.startswith(source + "/")]:
                state[target + path[len(source):]] = state.pop(path)
        elif kind == "U":
            state.pop(rest, None)
    cut = {}
    for path, (durable, written) in state.items():
        if not written or not os.path.isfile(path):
            continue
        size = os.path.getsize(path)
        if size > durable:
            keep = durable if rng.random() < 0.5 else rng.randint(durable, size - 1)
            os.truncate(path, keep)
            cut[path] = size - keep
    return cut


def test_power_loss_keeps_every_acknowledged_record_and_stream(hydrant_factory, shim, rng, monkeypatch,
                                                               tmp_path):
    logs = tmp_path / "shim-logs"
    logs.mkdir()
    monkeypatch.setenv("LD_PRELOAD", str(shim))
    monkeypatch.setenv("HYDRANT_POWERLOSS_LOG", str(logs / "run-0.log"))
    # The data dir's path is only known once the factory made it: watch the whole temp root.
    monkeypatch.setenv("HYDRANT_POWERLOSS_ROOT", str(tmp_path.parent))
    server = hydrant_factory(extra_args=["--wal-segment-bytes", "16384"])
    baseline = {}
    server.s3().create_bucket(Bucket="power")
    server.create_s3_stream("power", "power", size_mb=1, interval_s=1)
    created, ledger, total_cut, runs = [], Ledger(), {}, 15
    with Producer(server, "power", ledger, tag="pw", threads=3, batch=(1, 50)):
        for i in range(runs):
            time.sleep(rng.uniform(0.05, 0.3))
            name = f"extra-{i}"
            server.firehose().create_delivery_stream(
                DeliveryStreamName=name, DeliveryStreamType="DirectPut",
                ExtendedS3DestinationConfiguration={
                    "RoleARN": "arn:aws:iam::123456789012:role/r", "BucketARN": "arn:aws:s3:::power",
                    "Prefix": f"{name}/"})
            created.append(name)
            time.sleep(rng.uniform(0.0, 0.4))
            assert server.kill() == -signal.SIGKILL
            log_path = logs / f"run-{i}.log"
            if i == 0:
                text = log_path.read_text()
                assert ".wal\n" in text and "\nS " in text, "the shim did not see the WAL's syncs"
            for path, n in replay_power_loss(log_path, baseline, rng).items():
                total_cut[Path(path).name] = total_cut.get(Path(path).name, 0) + n
            baseline = file_sizes(server.data_dir)
            monkeypatch.setenv("HYDRANT_POWERLOSS_LOG", str(logs / f"run-{i + 1}.log"))
            server.restart()
    torn = server.log_text().count("torn or corrupt tail")
    print(f"unsynced bytes cut per file name over {runs} power cuts: {total_cut}; "
          f"log lines about cut torn tails: {torn}")

    names = set(server.firehose().list_delivery_streams(Limit=100)["DeliveryStreamNames"])
    assert set(created) <= names, f"acknowledged CreateDeliveryStream lost: {set(created) - names}"
    assert len(ledger.acknowledged) > 300, ledger.stats
    assert server.stop(signal.SIGTERM) == 0
    server.restart()
    objects = wait_delivered(lambda: server.read_objects("power"), ledger, timeout=60)
    counts = account(objects, ledger)
    print(f"acknowledged={len(ledger.acknowledged)} delivered={sum(counts.values())} {dict(ledger.stats)}")
