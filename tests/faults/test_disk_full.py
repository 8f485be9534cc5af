"""Disk full: the data directory on a 32 MiB tmpfs that a filler file fills up.

Checked: while the disk is full no put is acknowledged that is later lost; puts fail with
ServiceUnavailableException; the server stays up; once the filler is removed puts are
acknowledged again; every acknowledged record is delivered exactly once.

Mounting a tmpfs needs root (CAP_SYS_ADMIN); without it the test is skipped.
"""
import errno
import os
import signal
import subprocess
import time

import pytest

from faults import Ledger, Producer, account, wait_delivered
from harness import Hydrant


@pytest.fixture
def small_disk(tmp_path):
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mountpoint)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs root): {result.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def fill(path):
    """Writes `path` until the file system is full; returns the bytes written."""
    written = 0
    with open(path, "wb", buffering=0) as f:
        chunk = b"\0" * (256 * 1024)
        while True:
            try:
                written += f.write(chunk)
            except OSError as error:
                assert error.errno == errno.ENOSPC, error
                break
        while True:  # the last few KiB
            try:
                written += f.write(b"\0" * 4096)
            except OSError:
                return written


def test_disk_full_then_space_returns(small_disk, tmp_path):
    server = Hydrant(tmp_path / "server")
    server.data_dir = small_disk / "data"  # logs stay off the small disk
    server.start()
    try:
        run_disk_full(server, small_disk)
    finally:
        if server.alive():
            server.kill()


def run_disk_full(server, disk):
    server.s3().create_bucket(Bucket="full")
    server.create_s3_stream("full", "full", size_mb=1, interval_s=1)
    ledger = Ledger()
    filler = disk / "filler"
    with Producer(server, "full", ledger, tag="full", threads=2, batch=(1, 50), pause=0.02):
        time.sleep(1)
        acked_before = len(ledger.acknowledged)
        fill(filler)
        time.sleep(4)
        with ledger.lock:
            during = dict(ledger.stats)
            acked_full = len(ledger.acknowledged)
        os.remove(filler)
        time.sleep(4)
        with ledger.lock:
            acked_after = len(ledger.acknowledged)
            after = dict(ledger.stats)
    print(f"acknowledged: before full {acked_before}, while full {acked_full}, after space returned "
          f"{acked_after}; outcomes {after}; messages {dict(ledger.messages)}")
    assert server.alive(), "the server died when the disk filled"
    errors = {k for k in after if k != "ok_calls"}
    assert errors, "the disk never filled up"
    assert errors <= {"ServiceUnavailableException", "entry:ServiceUnavailableException:Slow down."}, after
    recovered = acked_after > acked_full + 100
    if not recovered:
        # Stuck until a restart: show that nothing acknowledged is lost regardless.
        assert server.stop(signal.SIGTERM) == 0
        server.start(port=server.port)
    objects = wait_delivered(lambda: server.read_objects("full"), ledger, timeout=60)
    account(objects, ledger)
    if not recovered:
        # Known: a failed WAL write is sticky (src/wal/segmented_wal.cc), so the stream refuses
        # every put until the server restarts, with the WAL's error instead of "Slow down.".
        pytest.xfail(f"puts stayed refused after space returned (acknowledged {acked_full} -> {acked_after}) "
                     f"until a restart; messages: {dict(ledger.messages)}")
    assert all(m == "Slow down." for m in ledger.messages), ledger.messages
