"""Disk full: the data directory on a 32 MiB tmpfs that a filler file fills up.

Checked: while the disk is full no put is acknowledged that is later lost; puts fail with
ServiceUnavailableException "Slow down." (the free-space floor, or a write that hit ENOSPC);
the server stays up; once the filler is removed puts are acknowledged again without a restart;
every acknowledged record is delivered exactly once.

Mounting a tmpfs needs root (CAP_SYS_ADMIN); without it the test is skipped.
"""
import errno
import os
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


# With a 4 MiB floor (the default 64 MiB would refuse everything on a 32 MiB disk) puts are
# throttled before the disk is full; with none, WAL writes, objects and journals hit ENOSPC.
@pytest.mark.parametrize("floor", [4 << 20, 0], ids=["free-space-floor", "no-floor"])
def test_disk_full_then_space_returns(small_disk, tmp_path, floor):
    server = Hydrant(tmp_path / "server", extra_args=["--min-free-disk-bytes", str(floor)])
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
        deadline = time.time() + 15
        while len(ledger.acknowledged) < 200 and time.time() < deadline:
            time.sleep(0.1)
        acked_before = len(ledger.acknowledged)
        assert acked_before >= 200, "the producer never got going"
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
    assert acked_after > acked_full + 100, "puts stayed refused after space returned"
    assert all(m == "Slow down." for m in ledger.messages), ledger.messages
    objects = wait_delivered(lambda: server.read_objects("full"), ledger, timeout=60)
    account(objects, ledger)
