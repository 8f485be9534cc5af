"""Cluster mode (`hydrant serve --cluster nats://...`): three Hydrant nodes over a real 3-server
NATS JetStream cluster (Debian's nats-server, tests/e2e/nats_cluster.py), delivering to a real
remote S3 server (s3rver, npm) named in every node's `remote_buckets`.

What is proven here: any node takes puts for any stream; the catalog is shared; each stream's
lanes run on one node, taken over by another within 10 s when it is killed; a node that was
stopped (SIGSTOP) and comes back does not deliver what its successor delivered; killing one NATS
server, or restarting all three, loses nothing that was acknowledged; records are delivered
once.
"""
import collections
import subprocess
import json
import re
import shutil
import signal
import threading
import time
import urllib.request

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import Hydrant, wait_for
from nats_cluster import NATS_SERVER, NatsCluster
from test_remote_s3 import S3rver, s3rver_installed, write_config  # noqa: F401 (a fixture)

LEASE_MS = 5000


@pytest.fixture(scope="module")
def nats_cluster(tmp_path_factory):
    if not shutil.which(NATS_SERVER):
        pytest.fail("nats-server is not installed (scripts/install-deps.sh --test installs it)")
    cluster = NatsCluster(tmp_path_factory.mktemp("nats")).start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def remote(s3rver_installed, tmp_path_factory):  # noqa: F811
    server = S3rver(tmp_path_factory.mktemp("s3rver")).start()
    server.client().create_bucket(Bucket="real-name")
    yield server
    server.stop()


class Cluster:
    def __init__(self, root, nats, remote):
        self.nats = nats
        self.remote = remote
        self.config = config = write_config(root / "hydrant.yaml", remote)
        self.nodes = [Hydrant(root / f"node{i}", config_file=config,
                              extra_args=["--cluster", nats.urls, "--node-id", f"node{i}"])
                      for i in range(3)]

    def start(self):
        for node in self.nodes:
            node.start()
        return self

    def stop(self):
        for node in self.nodes:
            if node.alive():
                node.stop()

    def running(self):
        return [n for n in self.nodes if n.alive()]

    def holder(self, stream, nodes=None):
        """The node whose log last says it runs the stream's lanes (and has not given them up)."""
        found = None
        for node in nodes or self.running():
            text = node.log_text(max_chars=5_000_000)
            runs = text.rfind(f"runs the lanes of stream {stream}\n")
            gave = text.rfind(f"gave up the lanes of stream {stream}\n")
            if runs >= 0 and runs > gave:
                found = node
        return found

    def wait_holder(self, stream, nodes=None, timeout=15):
        return wait_for(lambda: self.holder(stream, nodes), timeout=timeout, interval=0.1,
                        message=f"a node running the lanes of {stream}")


@pytest.fixture(scope="module")
def cluster(nats_cluster, remote, tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("hydrant-cluster"), nats_cluster, remote).start()
    yield c
    c.stop()


@pytest.fixture(autouse=True)
def every_node_running(cluster):
    """A test that killed a node or a NATS server leaves the cluster whole for the next one, and
    settled: a stream created on one node is served by every node again (JetStream re-elects
    leaders and catches the restarted server up first; that recovery is the killing test's
    subject, not the next test's)."""
    yield
    restarted = False
    for server in cluster.nats.servers:
        if server.process.poll() is not None:
            server.start()
            server.wait_listening()
            restarted = True
    for node in cluster.nodes:
        if not node.alive():
            node.start()
            restarted = True
    if restarted:
        def settled():
            name = f"probe-{time.monotonic_ns()}"
            try:
                cluster.nodes[0].firehose(max_attempts=1).create_delivery_stream(
                    DeliveryStreamName=name, DeliveryStreamType="DirectPut",
                    S3DestinationConfiguration={"RoleARN": "arn:aws:iam::123456789012:role/r",
                                                "BucketARN": "arn:aws:s3:::logs"})
                seen = wait_for(lambda: all(name in n.firehose(max_attempts=1).list_delivery_streams(Limit=100)
                                            ["DeliveryStreamNames"] for n in cluster.nodes),
                                timeout=3, interval=0.1, message="the probe on every node")
                cluster.nodes[0].firehose(max_attempts=1).delete_delivery_stream(DeliveryStreamName=name)
                return seen
            except (AssertionError, ClientError):
                return False
        wait_for(settled, timeout=90, interval=1, message="the cluster to settle")


def create_stream(node, name, prefix, interval_s=1, size_mb=1):
    fh = node.firehose()
    fh.create_delivery_stream(
        DeliveryStreamName=name, DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose-role",
            "BucketARN": "arn:aws:s3:::logs", "Prefix": prefix,
            "BufferingHints": {"SizeInMBs": size_mb, "IntervalInSeconds": interval_s}})
    node.wait_active(name)


def delivered_records(remote, prefix):
    """Every line of every object under prefix at s3rver, and the object count."""
    s3 = remote.client()
    lines, keys = [], []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="real-name", Prefix=prefix):
        for item in page.get("Contents", []):
            keys.append(item["Key"])
            body = s3.get_object(Bucket="real-name", Key=item["Key"])["Body"].read()
            lines += body.decode().splitlines()
    return lines, keys


def wait_delivered(remote, prefix, acked, timeout=60):
    def all_there():
        lines, keys = delivered_records(remote, prefix)
        return (lines, keys) if acked <= set(lines) else None
    return wait_for(all_there, timeout=timeout, interval=0.5, message=f"{len(acked)} acknowledged records")


def assert_once(lines, sent):
    counts = collections.Counter(lines)
    duplicated = {line: n for line, n in counts.items() if n > 1}
    assert not duplicated, f"{len(duplicated)} records delivered more than once, e.g. {list(duplicated)[:3]}"
    assert set(lines) <= sent, "a record that was never sent was delivered"


class Producer:
    """Puts batches of unique records round-robin over `nodes` until stopped. A batch is counted
    as acknowledged only when the put answered without FailedPutCount; a failed batch is not
    sent again (its records may or may not have been stored), so a duplicate can only come from
    the server."""

    def __init__(self, nodes, stream, tag, batch=50):
        self.stream = stream
        self.tag = tag
        self.batch = batch
        self.clients = [n.firehose(max_attempts=1, read_timeout=15) for n in nodes]
        self.sent, self.acked = set(), set()
        self.failures = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.count = 0

    def put_one(self, i):
        client = self.clients[i % len(self.clients)]
        records = [f"{self.tag}-{i}-{j}" for j in range(self.batch)]
        self.sent.update(records)
        try:
            answer = client.put_record_batch(DeliveryStreamName=self.stream,
                                             Records=[{"Data": (r + "\n").encode()} for r in records])
        except Exception:  # a node that is down or a NATS leader moving: not acknowledged
            self.failures += 1
            return
        for record, result in zip(records, answer["RequestResponses"]):
            if "RecordId" in result:
                self.acked.add(record)

    def run(self):
        while not self.stopping.is_set():
            self.put_one(self.count)
            self.count += 1
            time.sleep(0.01)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(timeout=60)


def test_a_stream_created_on_one_node_takes_puts_on_every_node_and_is_delivered_once(cluster):
    a, b, c = cluster.nodes
    create_stream(a, "everywhere", "everywhere/")
    # Every node serves the stream at once.
    for node in (b, c):
        description = node.wait_active("everywhere", timeout=2)
        assert description["DeliveryStreamARN"].endswith(":deliverystream/everywhere")
    sent = set()
    for i in range(30):
        node = cluster.nodes[i % 3]
        records = [f"everywhere-{i}-{j}" for j in range(100)]
        sent.update(records)
        answer = node.firehose().put_record_batch(
            DeliveryStreamName="everywhere", Records=[{"Data": (r + "\n").encode()} for r in records])
        assert answer["FailedPutCount"] == 0
    lines, keys = wait_delivered(cluster.remote, "everywhere/", sent)
    assert sorted(lines) == sorted(sent)
    # One node delivered them all: the lanes run in one place.
    holder = cluster.holder("everywhere")
    for node in cluster.nodes:
        delivered = node.log_text(max_chars=5_000_000).count("stream everywhere: delivered ")
        assert (delivered > 0) == (node is holder), node.endpoint
    assert all(k.startswith("everywhere/") and "/everywhere-1-" in k for k in keys)
    # Every node shows the delivered objects: reads of a remote bucket go through to it.
    for node in cluster.nodes:
        listing = node.aws("s3", "ls", "s3://logs/everywhere/", "--recursive", check=True).stdout
        assert sorted(line.split()[-1] for line in listing.splitlines()) == sorted(keys)
        body = node.s3().get_object(Bucket="logs", Key=keys[0])["Body"].read()
        assert body == cluster.remote.client().get_object(Bucket="real-name", Key=keys[0])["Body"].read()
        head = node.s3().head_object(Bucket="logs", Key=keys[0])
        assert head["ContentLength"] == len(body)


def test_a_configuration_change_on_one_node_is_seen_by_the_others_within_a_second(cluster):
    a, b, c = cluster.nodes
    create_stream(a, "shared-config", "shared-config/", interval_s=60)
    version = a.firehose().describe_delivery_stream(
        DeliveryStreamName="shared-config")["DeliveryStreamDescription"]["VersionId"]
    b.firehose().update_destination(
        DeliveryStreamName="shared-config", CurrentDeliveryStreamVersionId=version,
        DestinationId="destinationId-000000000001",
        ExtendedS3DestinationUpdate={"BufferingHints": {"SizeInMBs": 2, "IntervalInSeconds": 1}})
    changed = time.monotonic()
    for node in (a, c):
        def seen(node=node):
            d = node.firehose().describe_delivery_stream(DeliveryStreamName="shared-config")
            d = d["DeliveryStreamDescription"]
            return d if d["VersionId"] != version else None
        d = wait_for(seen, timeout=1.0, interval=0.02, message="the new version on another node")
        hints = d["Destinations"][0]["ExtendedS3DestinationDescription"]["BufferingHints"]
        assert hints == {"SizeInMBs": 2, "IntervalInSeconds": 1}
    assert time.monotonic() - changed < 1.0
    # The lane holder uses the new hints: a record is delivered within a few seconds, not 60.
    a.firehose().put_record(DeliveryStreamName="shared-config", Record={"Data": b"after-change\n"})
    wait_delivered(cluster.remote, "shared-config/", {"after-change"}, timeout=10)

    # Tags too.
    c.firehose().tag_delivery_stream(DeliveryStreamName="shared-config", Tags=[{"Key": "team", "Value": "ops"}])
    wait_for(lambda: a.firehose().list_tags_for_delivery_stream(DeliveryStreamName="shared-config")["Tags"]
             == [{"Key": "team", "Value": "ops"}], timeout=1.0, interval=0.02, message="the tag on node0")

    # Two nodes changing the same version at once: one wins, the other is refused.
    version = c.firehose().describe_delivery_stream(
        DeliveryStreamName="shared-config")["DeliveryStreamDescription"]["VersionId"]
    results = {}

    def update(node, size):
        try:
            node.firehose(max_attempts=1).update_destination(
                DeliveryStreamName="shared-config", CurrentDeliveryStreamVersionId=version,
                DestinationId="destinationId-000000000001",
                ExtendedS3DestinationUpdate={"BufferingHints": {"SizeInMBs": size, "IntervalInSeconds": 1}})
            results[node.endpoint] = "ok"
        except ClientError as e:
            results[node.endpoint] = e.response["Error"]["Code"]

    threads = [threading.Thread(target=update, args=(n, s)) for n, s in ((a, 3), (c, 4))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == ["ConcurrentModificationException", "ok"], results
    final = [n.firehose().describe_delivery_stream(DeliveryStreamName="shared-config")
             ["DeliveryStreamDescription"] for n in cluster.nodes]
    time.sleep(1)
    final = [n.firehose().describe_delivery_stream(DeliveryStreamName="shared-config")
             ["DeliveryStreamDescription"] for n in cluster.nodes]
    assert len({d["VersionId"] for d in final}) == 1
    assert len({json.dumps(d["Destinations"], default=str) for d in final}) == 1

    # A stream deleted on one node is gone from every node; its name can be used again.
    b.firehose().delete_delivery_stream(DeliveryStreamName="shared-config")
    for node in (a, c):
        wait_for(lambda node=node: "shared-config" not in node.firehose().list_delivery_streams()
                 ["DeliveryStreamNames"], timeout=1.0, interval=0.02, message="the stream gone")
    with pytest.raises(ClientError) as error:
        a.firehose().create_delivery_stream(DeliveryStreamName="everywhere", DeliveryStreamType="DirectPut",
                                            S3DestinationConfiguration={
                                                "RoleARN": "arn:aws:iam::123456789012:role/r",
                                                "BucketARN": "arn:aws:s3:::logs"})
    assert error.value.response["Error"]["Code"] == "ResourceInUseException"


def test_kill_9_of_the_lane_holder_during_delivery_loses_nothing_and_duplicates_nothing(cluster):
    a = cluster.nodes[0]
    create_stream(a, "takeover", "takeover/", interval_s=1)
    holder = cluster.wait_holder("takeover")
    others = [n for n in cluster.nodes if n is not holder]
    with Producer(others, "takeover", "tk") as producer:
        wait_for(lambda: cluster.remote.client().list_objects_v2(Bucket="real-name", Prefix="takeover/")
                 .get("KeyCount", 0) >= 2, timeout=20, message="deliveries under way")
        holder.kill()
        killed = time.monotonic()
        successor = cluster.wait_holder("takeover", others, timeout=15)
        takeover_s = time.monotonic() - killed
        time.sleep(3)
    assert takeover_s < 10, f"the lanes were taken over after {takeover_s:.1f} s"
    assert producer.failures == 0  # the producer used the surviving nodes only
    lines, keys = wait_delivered(cluster.remote, "takeover/", producer.acked)
    assert_once(lines, producer.sent)
    assert len(keys) == len(set(keys))
    print(f"takeover after {takeover_s:.1f} s by {successor.endpoint}; {len(producer.acked)} records, "
          f"{len(keys)} objects")


def test_a_stopped_holder_that_comes_back_does_not_deliver_what_its_successor_delivered(cluster):
    a = cluster.nodes[0]
    create_stream(a, "fenced", "fenced/", interval_s=12)
    holder = cluster.wait_holder("fenced")
    others = [n for n in cluster.nodes if n is not holder]
    sent = {f"fenced-{i}" for i in range(200)}
    others[0].firehose().put_record_batch(DeliveryStreamName="fenced",
                                          Records=[{"Data": (r + "\n").encode()} for r in sorted(sent)])
    # The holder buffers the records for 12 s; it is stopped (a network partition, a long pause)
    # before it delivers them.
    time.sleep(1)
    holder.process.send_signal(signal.SIGSTOP)
    try:
        successor = cluster.wait_holder("fenced", others, timeout=15)
        lines, keys = wait_delivered(cluster.remote, "fenced/", sent, timeout=30)
        assert len(keys) == 1
    finally:
        holder.process.send_signal(signal.SIGCONT)
    # Its buffering interval is long past: unfenced, it would now deliver the same records in an
    # object of its own.
    wait_for(lambda: "gives up its lanes" in holder.log_text(max_chars=5_000_000), timeout=10,
             message="the stopped node to give its lanes up")
    time.sleep(3)
    lines, keys = delivered_records(cluster.remote, "fenced/")
    assert len(keys) == 1, keys
    assert sorted(lines) == sorted(sent)
    assert cluster.holder("fenced") is successor


def test_kill_9_of_one_nats_server_under_load_loses_nothing(cluster):
    a = cluster.nodes[0]
    create_stream(a, "nats-kill", "nats-kill/", interval_s=1)
    with Producer(cluster.nodes, "nats-kill", "nk") as producer:
        wait_for(lambda: len(producer.acked) >= 2000, timeout=30, message="load")
        cluster.nats.servers[1].kill()
        # JetStream elects new leaders for what the server led within seconds; then puts go on.
        time.sleep(10)
        before = len(producer.acked)
        time.sleep(5)
        after = len(producer.acked)
    assert after - before >= 1000, f"puts did not continue: {after - before} records in the last 5 s"
    lines, keys = wait_delivered(cluster.remote, "nats-kill/", producer.acked, timeout=90)
    assert_once(lines, producer.sent)
    print(f"{len(producer.acked)} acknowledged, {producer.failures} failed puts")


def test_all_three_nats_servers_restarted_lose_nothing_acknowledged(cluster):
    a, b, c = cluster.nodes
    create_stream(a, "nats-restart", "nats-restart/", interval_s=30)
    sent = set()
    for i in range(10):
        records = [f"nr-{i}-{j}" for j in range(100)]
        sent.update(records)
        answer = cluster.nodes[i % 3].firehose().put_record_batch(
            DeliveryStreamName="nats-restart", Records=[{"Data": (r + "\n").encode()} for r in records])
        assert answer["FailedPutCount"] == 0
    # Acknowledged and buffered (30 s interval): now every NATS server goes down hard.
    for server in cluster.nats.servers:
        server.kill()

    def health(node):
        try:
            with urllib.request.urlopen(node.endpoint + "/health", timeout=2) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    status, body = wait_for(lambda: health(a) if health(a)[0] == 503 else None, timeout=10,
                            message="/health to report the lost cluster")
    assert body["status"] == "disconnected" and body["cluster"]["connected"] is False
    with pytest.raises(ClientError) as error:
        a.firehose(max_attempts=1).put_record(DeliveryStreamName="nats-restart", Record={"Data": b"x\n"})
    assert error.value.response["Error"]["Code"] == "ServiceUnavailableException"

    cluster.nats.start()
    for node in cluster.nodes:
        wait_for(lambda node=node: health(node)[0] == 200, timeout=30, message="reconnected")
    lines, keys = wait_delivered(cluster.remote, "nats-restart/", sent, timeout=90)
    assert_once(lines, sent | {"x"})


def test_a_streams_jetstream_limit_answers_slow_down_until_delivery_frees_it(cluster, tmp_path):
    # A fourth node whose streams are created with a 300 kB JetStream limit each.
    limited = Hydrant(tmp_path / "limited", config_file=cluster.config,
                      extra_args=["--cluster", cluster.nats.urls, "--node-id", "limited",
                                  "--cluster-stream-max-bytes", "300000"]).start()
    try:
        create_stream(limited, "limited", "limited/", interval_s=60)
        fh = cluster.nodes[1].firehose(max_attempts=1)
        record = {"Data": b"x" * 1000 + b"\n"}
        accepted = 0
        with pytest.raises(ClientError) as error:
            for _ in range(10):
                fh.put_record_batch(DeliveryStreamName="limited", Records=[record] * 100)
                accepted += 100
        assert error.value.response["Error"]["Code"] == "ServiceUnavailableException"
        assert error.value.response["Error"]["Message"] == "Slow down."
        assert 100 <= accepted <= 300
        # Delivery releases the space: with a 1 s interval the records go out and puts pass again.
        version = fh.describe_delivery_stream(DeliveryStreamName="limited")["DeliveryStreamDescription"]["VersionId"]
        fh.update_destination(DeliveryStreamName="limited", CurrentDeliveryStreamVersionId=version,
                              DestinationId="destinationId-000000000001",
                              ExtendedS3DestinationUpdate={"BufferingHints": {"IntervalInSeconds": 1, "SizeInMBs": 1}})
        wait_for(lambda: len(delivered_records(cluster.remote, "limited/")[0]) >= accepted, timeout=20,
                 message="the accepted records delivered")

        def accepts():
            try:
                return fh.put_record_batch(DeliveryStreamName="limited", Records=[record] * 100)
            except ClientError:
                return None
        assert wait_for(accepts, timeout=10, interval=0.5, message="puts accepted again")["FailedPutCount"] == 0
    finally:
        limited.stop()


def test_server_side_encryption_is_refused_in_cluster_mode(cluster):
    fh = cluster.nodes[0].firehose()
    with pytest.raises(ClientError) as error:
        fh.create_delivery_stream(
            DeliveryStreamName="sealed", DeliveryStreamType="DirectPut",
            DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"},
            ExtendedS3DestinationConfiguration={"RoleARN": "arn:aws:iam::123456789012:role/r",
                                                "BucketARN": "arn:aws:s3:::logs"})
    assert error.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert "not available in cluster mode" in error.value.response["Error"]["Message"]
    create_stream(cluster.nodes[0], "plain", "plain/")
    with pytest.raises(ClientError) as error:
        cluster.nodes[2].firehose().start_delivery_stream_encryption(
            DeliveryStreamName="plain", DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"})
    assert error.value.response["Error"]["Code"] == "InvalidArgumentException"


TRANSFORM = """
import base64
def lambda_handler(event, context):
    return {"records": [{"recordId": r["recordId"], "result": "Ok",
                         "data": base64.b64encode(b"VERSION:" + base64.b64decode(r["data"])).decode()}
                        for r in event["records"]]}
"""


def test_a_function_created_on_one_node_transforms_on_the_node_that_delivers(cluster):
    from test_lambda_api import ROLE, lambda_client, make_zip
    a, b, c = cluster.nodes
    lam = lambda_client(a)
    lam.create_function(FunctionName="shared-fn", Runtime="python3.11", Role=ROLE,
                        Handler="lambda_function.lambda_handler",
                        Code={"ZipFile": make_zip({"lambda_function.py": TRANSFORM.replace("VERSION", "v1")})})
    # Every node knows it within a second.
    for node in (b, c):
        wait_for(lambda node=node: any(f["FunctionName"] == "shared-fn"
                                       for f in lambda_client(node).list_functions()["Functions"]),
                 timeout=1.0, interval=0.02, message="the function on another node")
    arn = lam.get_function(FunctionName="shared-fn")["Configuration"]["FunctionArn"]
    a.firehose().create_delivery_stream(
        DeliveryStreamName="transformed", DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose-role", "BucketARN": "arn:aws:s3:::logs",
            "Prefix": "transformed/", "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1},
            "ProcessingConfiguration": {"Enabled": True, "Processors": [{
                "Type": "Lambda", "Parameters": [{"ParameterName": "LambdaArn", "ParameterValue": arn}]}]}})
    a.wait_active("transformed")
    holder = cluster.wait_holder("transformed")
    others = [n for n in cluster.nodes if n is not holder]
    others[0].firehose().put_record(DeliveryStreamName="transformed", Record={"Data": b"one\n"})
    wait_delivered(cluster.remote, "transformed/", {"v1:one"}, timeout=20)

    # New code from another node reaches the node that runs the function.
    lambda_client(others[1]).update_function_code(
        FunctionName="shared-fn", ZipFile=make_zip({"lambda_function.py": TRANSFORM.replace("VERSION", "v2")}))
    wait_for(lambda: lambda_client(holder).get_function(FunctionName="shared-fn")["Configuration"]["CodeSha256"]
             == lambda_client(others[1]).get_function(FunctionName="shared-fn")["Configuration"]["CodeSha256"],
             timeout=1.0, interval=0.02, message="the new code on the holder")
    others[0].firehose().put_record(DeliveryStreamName="transformed", Record={"Data": b"two\n"})
    lines, _ = wait_delivered(cluster.remote, "transformed/", {"v1:one", "v2:two"}, timeout=20)
    assert sorted(lines) == ["v1:one", "v2:two"]
    # A configuration change keeps the code; a deletion reaches every node.
    lambda_client(b).update_function_configuration(FunctionName="shared-fn", Timeout=30)
    wait_for(lambda: lambda_client(c).get_function(FunctionName="shared-fn")["Configuration"]["Timeout"] == 30,
             timeout=1.0, interval=0.02, message="the new timeout elsewhere")
    assert lambda_client(c).invoke(FunctionName="shared-fn", Payload=json.dumps({"records": [
        {"recordId": "1", "data": "eA=="}]}).encode())["StatusCode"] == 200
    a.firehose().delete_delivery_stream(DeliveryStreamName="transformed")
    lambda_client(c).delete_function(FunctionName="shared-fn")
    for node in (a, b):
        wait_for(lambda node=node: not any(f["FunctionName"] == "shared-fn"
                                           for f in lambda_client(node).list_functions()["Functions"]),
                 timeout=1.0, interval=0.02, message="the function gone everywhere")


def test_glue_tables_are_shared_and_convert_on_the_node_that_delivers(cluster):
    a, b, c = cluster.nodes
    a.glue().create_database(DatabaseInput={"Name": "shared_db"})
    a.glue().create_table(DatabaseName="shared_db", TableInput={
        "Name": "events", "StorageDescriptor": {"Columns": [{"Name": "who", "Type": "string"}]}})
    for node in (b, c):
        table = wait_for(lambda node=node: _table(node, "shared_db", "events"), timeout=1.0, interval=0.02,
                         message="the table on another node")
        assert table["StorageDescriptor"]["Columns"] == [{"Name": "who", "Type": "string"}]
    c.firehose().create_delivery_stream(
        DeliveryStreamName="to-parquet", DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose-role", "BucketARN": "arn:aws:s3:::logs",
            "Prefix": "to-parquet/", "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 1},
            "DataFormatConversionConfiguration": {
                "SchemaConfiguration": {"DatabaseName": "shared_db", "TableName": "events",
                                        "RoleARN": "arn:aws:iam::123456789012:role/firehose-role"},
                "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
                "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {}}}}})
    c.wait_active("to-parquet")
    a.firehose().put_record(DeliveryStreamName="to-parquet", Record={"Data": b'{"who": "kimdh"}'})
    s3 = cluster.remote.client()

    def parquet():
        items = s3.list_objects_v2(Bucket="real-name", Prefix="to-parquet/").get("Contents", [])
        return items[0]["Key"] if items else None
    key = wait_for(parquet, timeout=20, interval=0.3, message="the Parquet object")
    body = s3.get_object(Bucket="real-name", Key=key)["Body"].read()
    assert key.endswith(".parquet") and body[:4] == b"PAR1" and body[-4:] == b"PAR1" and b"kimdh" in body

    # A new version from one node is the latest everywhere; a deleted database is gone everywhere.
    b.glue().update_table(DatabaseName="shared_db", TableInput={
        "Name": "events", "StorageDescriptor": {"Columns": [{"Name": "who", "Type": "string"},
                                                            {"Name": "n", "Type": "int"}]}})
    wait_for(lambda: _table(c, "shared_db", "events")["VersionId"] == "2", timeout=1.0, interval=0.02,
             message="version 2 on another node")
    a.firehose().delete_delivery_stream(DeliveryStreamName="to-parquet")
    c.glue().delete_database(Name="shared_db")
    for node in (a, b):
        wait_for(lambda node=node: "shared_db" not in [d["Name"] for d in node.glue().get_databases()["DatabaseList"]],
                 timeout=1.0, interval=0.02, message="the database gone")


def _table(node, database, name):
    try:
        return node.glue().get_table(DatabaseName=database, Name=name)["Table"]
    except ClientError:
        return None


def test_health_and_metrics_report_the_cluster(cluster):
    a, b, c = cluster.nodes
    create_stream(a, "observed", "observed/")
    cluster.wait_holder("observed")

    def three_nodes():  # a node that left is counted until its heartbeat is a lease period old
        for node in cluster.nodes:
            with urllib.request.urlopen(node.endpoint + "/health", timeout=5) as r:
                if json.loads(r.read())["cluster"]["nodes"] != 3:
                    return False
        return True
    wait_for(three_nodes, timeout=10, message="three live nodes")
    lanes = 0
    for node in cluster.nodes:
        with urllib.request.urlopen(node.endpoint + "/health", timeout=5) as r:
            body = json.loads(r.read())
        assert body["status"] == "ok"
        assert body["cluster"]["connected"] is True and body["cluster"]["nodes"] == 3
        with urllib.request.urlopen(node.endpoint + "/metrics", timeout=5) as r:
            text = r.read().decode()
        assert "hydrant_cluster_connected 1" in text
        lanes += int(re.search(r"^hydrant_cluster_lanes_held (\d+)$", text, re.M).group(1))
        assert re.search(r"^hydrant_cluster_lag_records \d+$", text, re.M)
    names = a.firehose().list_delivery_streams(Limit=100)["DeliveryStreamNames"]
    assert lanes == len(names)


def test_the_readme_cluster_quick_start_runs_as_written(tmp_path):
    """The README's "Cluster quick start" block, on free ports (the README's are fixed) and in a
    private folder, with its own NATS servers and nodes."""
    from harness import REPO_ROOT, hydrant_binary
    from nats_cluster import free_port

    section = (REPO_ROOT / "README.md").read_text().split("## Cluster quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"^```sh\n(.*?)^```", section, flags=re.M | re.S).group(1)
    for port in (4222, 4223, 4224, 6222, 6223, 6224, 4573, 4574, 4575, 4580):
        block = re.sub(rf"\b{port}\b", str(free_port()), block)
    block = block.replace("/tmp/hydrant-cluster", str(tmp_path / "cluster"))
    block = block.replace("build/hydrant serve", f"{hydrant_binary()} serve")
    script = tmp_path / "quick-start.sh"
    script.write_text("set -euo pipefail\n" + block)
    process = subprocess.Popen(["bash", str(script)], cwd=REPO_ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=240)
    finally:
        subprocess.run(["pkill", "-9", "-f", str(tmp_path / "cluster") + "/"])
    assert process.returncode == 0, output
    listing = [line for line in output.splitlines() if " events/" in line]
    assert len(listing) == 1, output
    assert '"cluster":{"connected":true,"node":"node1","nodes":3' in output
    delivered = output.split("killing it", 1)[1]
    for text in ("hello from node2", "hello from node3", "hello after the takeover"):
        assert delivered.count(text) == 1, output
