"""Slow and hostile clients: while they hold connections, a normal client's PutRecordBatch still
answers within PUT_BOUND_S, and the server's RSS (VmRSS) stays within RSS_GROWTH_BOUND_KIB of
where it started. Every record the normal client got acknowledged is delivered exactly once.

- 10,000 idle keep-alive connections (or as many as the fd limit allows, printed)
- slowloris: 200 connections sending their request headers one byte at a time
- half-sent bodies: 40 requests announcing 4 MB and sending 1 MB, then going quiet
- oversized header (100 KB: 431), oversized body (Content-Length 100 MB: 413 before the body)
- 20 half-sent 63 MiB bodies: only what fits the server-wide body budget is read, the rest
  refused at once with ServiceUnavailableException "Slow down."; RSS stays within the budget
"""
import os
import resource
import select
import signal
import socket
import threading
import time

from faults import Ledger, account, rss_kib, wait_delivered

PUT_BOUND_S = 2.0
RSS_GROWTH_BOUND_KIB = 512 * 1024
IDLE_TARGET = 10_000


def timed_put(server, ledger, client, n):
    records = [b"normal-%d-%d\n" % (n, i) for i in range(100)]
    with ledger.lock:
        ledger.attempted.update(records)
    started = time.monotonic()
    response = client.put_record_batch(DeliveryStreamName="normal", Records=[{"Data": r} for r in records])
    elapsed = time.monotonic() - started
    assert response["FailedPutCount"] == 0
    with ledger.lock:
        ledger.acknowledged.update(records)
    return elapsed


def connect_many(port, count):
    sockets = []
    for _ in range(count):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        sockets.append(s)
    return sockets


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def test_hostile_clients_do_not_starve_a_normal_client(hydrant_factory):
    limit = raise_fd_limit()  # before the server starts: it inherits the limit
    server = hydrant_factory()
    server.s3().create_bucket(Bucket="normal")
    server.create_s3_stream("normal", "normal", size_mb=1, interval_s=1)
    client = server.firehose(max_attempts=1, read_timeout=10)
    ledger, n, timings = Ledger(), 0, {}
    timed_put(server, ledger, client, n)
    baseline = rss_kib(server.process.pid)
    held = []
    try:
        # 10,000 idle keep-alive connections; the test keeps 300 fds for everything else.
        idle = min(IDLE_TARGET, limit - 300 - 300)
        held += connect_many(server.port, idle)
        time.sleep(1.0)
        n += 1
        timings["idle"] = timed_put(server, ledger, client, n)
        rss_idle = rss_kib(server.process.pid)

        # Slowloris: 200 connections dribbling request headers one byte per round.
        slow = connect_many(server.port, 200)
        held += slow
        request = b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Firehose_20150804.PutRecord\r\n"
        for i in range(40):
            for s in slow:
                try:
                    s.send(request[i % len(request):i % len(request) + 1])
                except (BlockingIOError, OSError):
                    pass
            if i % 10 == 0:
                n += 1
                timings[f"slowloris-{i}"] = timed_put(server, ledger, client, n)
            time.sleep(0.05)

        # Half-sent bodies: 4 MB announced, 1 MB sent.
        half = []
        for _ in range(40):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n"
                      b"X-Amz-Target: Firehose_20150804.PutRecordBatch\r\nContent-Length: 4000000\r\n\r\n"
                      + b"x" * 1_000_000)
            half.append(s)
        held += half
        time.sleep(0.5)
        n += 1
        timings["half-sent"] = timed_put(server, ledger, client, n)

        # Oversized header and body: refused with 431 / 413, the connection closed.
        big_header = server.raw(target="ListDeliveryStreams", body={}, headers={"X-Big": "a" * 100_000},
                                sign=False)
        assert big_header.status == 431, big_header
        s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        s.sendall(b"PUT /normal/huge HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
        answer = s.recv(4096)
        s.close()
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        n += 1
        timings["oversized"] = timed_put(server, ledger, client, n)

        rss_end = rss_kib(server.process.pid)
        print(f"fd limit {limit}; idle connections {idle}; RSS KiB baseline {baseline}, "
              f"with idle {rss_idle}, end {rss_end}; PutRecordBatch seconds {timings}")
        slowest = max(timings.values())
        assert slowest < PUT_BOUND_S, f"a normal PutRecordBatch took {slowest:.2f}s: {timings}"
        assert rss_end - baseline < RSS_GROWTH_BOUND_KIB, f"RSS grew from {baseline} to {rss_end} KiB"
        assert server.alive()
    finally:
        for s in held:
            s.close()
    objects = wait_delivered(lambda: server.read_objects("normal"), ledger, timeout=30)
    account(objects, ledger)
    assert server.stop(signal.SIGTERM) == 0


LARGE_BODY = 63 << 20      # under the 64 MiB request limit
LARGE_CONNECTIONS = 20     # 1.26 GB announced, 4x the default 256 MiB body budget
BODY_BUDGET = 256 << 20    # --max-inflight-body-bytes default
LARGE_RSS_GROWTH_BOUND_KIB = (BODY_BUDGET >> 10) + 64 * 1024


def announce_large_body(port):
    """Sends a PutRecordBatch header announcing LARGE_BODY bytes; returns (socket, answer), answer
    being what the server sent before any body byte (b"" if nothing: the body was admitted)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n"
              b"X-Amz-Target: Firehose_20150804.PutRecordBatch\r\n"
              b"Content-Length: %d\r\n\r\n" % LARGE_BODY)
    answer = s.recv(65536) if select.select([s], [], [], 0.3)[0] else b""
    return s, answer


def test_half_sent_large_bodies_stay_within_the_body_budget(hydrant_factory):
    """20 connections announce 63 MiB bodies. Those that fit the server-wide body budget send half
    and stall; the rest are refused at once with ServiceUnavailableException "Slow down." before
    sending any body. RSS stays within the budget and a normal PutRecordBatch still answers."""
    server = hydrant_factory()
    server.s3().create_bucket(Bucket="normal")
    server.create_s3_stream("normal", "normal", size_mb=1, interval_s=1)
    client = server.firehose(max_attempts=1, read_timeout=10)
    ledger, timings = Ledger(), {}
    timings["before"] = timed_put(server, ledger, client, 0)
    baseline = rss_kib(server.process.pid)
    half = b"x" * (LARGE_BODY // 2)
    admitted, refused = [], []
    try:
        for _ in range(LARGE_CONNECTIONS):
            s, answer = announce_large_body(server.port)
            if answer:
                refused.append(answer)
                s.close()
            else:
                s.sendall(half)
                admitted.append(s)
        time.sleep(0.5)
        rss_end = rss_kib(server.process.pid)
        timings["after"] = timed_put(server, ledger, client, 1)
        print(f"admitted {len(admitted)}, refused {len(refused)}; RSS KiB baseline {baseline}, "
              f"end {rss_end}; PutRecordBatch seconds {timings}")
        assert len(admitted) == BODY_BUDGET // LARGE_BODY
        for answer in refused:
            assert answer.startswith(b"HTTP/1.1 503"), answer[:300]
            assert b'{"__type":"ServiceUnavailableException","message":"Slow down."}' in answer, answer
            assert b"Connection: close" in answer, answer
        assert rss_end - baseline < LARGE_RSS_GROWTH_BOUND_KIB, f"RSS grew from {baseline} to {rss_end} KiB"
        assert max(timings.values()) < PUT_BOUND_S, timings
    finally:
        for s in admitted:
            s.close()
    # Closed connections give their share back: a large body is admitted again.
    deadline = time.monotonic() + 5
    while True:
        s, answer = announce_large_body(server.port)
        s.close()
        if not answer:
            break
        assert time.monotonic() < deadline, "a large body is still refused after the others closed"
        time.sleep(0.2)
    objects = wait_delivered(lambda: server.read_objects("normal"), ledger, timeout=30)
    account(objects, ledger)
    assert server.stop(signal.SIGTERM) == 0


def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_out_of_file_descriptors_the_server_waits_instead_of_spinning(hydrant_factory):
    """More connections than the server has fds (its limit lowered to 256 with prlimit): the
    accept loop must not spin or flood the log, and a queued normal request is served once
    connections close."""
    server = hydrant_factory()
    server.s3().create_bucket(Bucket="normal")
    server.create_s3_stream("normal", "normal", size_mb=1, interval_s=1)
    pid = server.process.pid
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (256, 256))
    held = connect_many(server.port, 400)
    try:
        time.sleep(0.5)
        log_before, ticks_before = len(server.log_text()), cpu_ticks(pid)
        time.sleep(2.0)
        ticks, log_growth = cpu_ticks(pid) - ticks_before, len(server.log_text()) - log_before
        hz = os.sysconf("SC_CLK_TCK")
        ledger, result = Ledger(), {}
        client = server.firehose(max_attempts=1, read_timeout=20)
        waiting = threading.Thread(target=lambda: result.update(seconds=timed_put(server, ledger, client, 0)))
        waiting.start()
        time.sleep(0.5)
        assert waiting.is_alive(), "a request was served although every fd was in use"
        for s in held[:300]:
            s.close()
        released = time.monotonic()
        waiting.join(timeout=20)
        served_after = time.monotonic() - released
    finally:
        for s in held:
            s.close()
    print(f"out of fds for 2 s: {ticks / hz:.2f} CPU seconds, log grew {log_growth} bytes; "
          f"queued PutRecordBatch served {served_after:.2f} s after fds were released")
    assert ticks / hz < 0.5, f"the server used {ticks / hz:.2f} CPU seconds in 2 s while out of fds"
    assert log_growth < 2000, f"the log grew {log_growth} bytes in 2 s while out of fds"
    assert result.get("seconds") is not None and served_after < PUT_BOUND_S, result
    assert "accept failed: Too many open files" in server.log_text()
    account(wait_delivered(lambda: server.read_objects("normal"), ledger, timeout=30), ledger)
