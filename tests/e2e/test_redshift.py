"""Redshift destination loaded into a real PostgreSQL (Debian's postgresql, started by the suite).

The service's flow is checked object by object: the staged batch in the intermediate bucket, its
manifest under <Prefix>manifests/, then the rows in the table, loaded exactly once (the manifest
recorded in hydrant_loaded_manifests in the same transaction). COPY options are Redshift's:
Hydrant reads the staged objects as Redshift would and loads them with COPY FROM STDIN.
"""
import gzip
import json
import re
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import unique_name
from harness import wait_for
from postgres_server import LOADER_PASSWORD, LOADER_USER, PostgresServer
from test_remote_s3 import REMOTE_BUCKET, s3rver, s3rver_installed, write_config  # noqa: F401 (fixtures)

ROLE = "arn:aws:iam::123456789012:role/FirehoseDeliveryRole"


@pytest.fixture(scope="module")
def pg():
    with PostgresServer() as server:
        yield server


@pytest.fixture
def server(hydrant_factory):
    return hydrant_factory()


def table(pg, columns):
    name = unique_name("t").replace("-", "_")
    pg.sql(f"CREATE TABLE {name} ({columns})", user=LOADER_USER, password=LOADER_PASSWORD)
    return name


def redshift(pg, bucket, table_name, copy_options, *, columns=None, url=None, password=LOADER_PASSWORD,
             retry_seconds=3600, compression="UNCOMPRESSED", extra=None):
    copy = {"DataTableName": table_name, "CopyOptions": copy_options}
    if columns:
        copy["DataTableColumns"] = columns
    config = {
        "RoleARN": ROLE,
        "ClusterJDBCURL": url or pg.jdbc_url,
        "CopyCommand": copy,
        "Username": LOADER_USER,
        "Password": password,
        "RetryOptions": {"DurationInSeconds": retry_seconds},
        "S3Configuration": {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": "staged/",
                            "CompressionFormat": compression,
                            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1}},
    }
    config.update(extra or {})
    return config


def create(server, config):
    name, bucket = unique_name("rs"), config["S3Configuration"]["BucketARN"].split(":::")[1]
    server.s3().create_bucket(Bucket=bucket)
    server.firehose().create_delivery_stream(DeliveryStreamName=name, RedshiftDestinationConfiguration=config)
    server.wait_active(name)
    return name


def put(server, name, records):
    for start in range(0, len(records), 500):
        response = server.firehose().put_record_batch(
            DeliveryStreamName=name, Records=[{"Data": r} for r in records[start:start + 500]])
        assert response["FailedPutCount"] == 0


def rows(pg, sql):
    return pg.sql(sql)


def wait_rows(pg, table_name, count, timeout=30):
    return wait_for(lambda: int(pg.sql(f"SELECT count(*) FROM {table_name}")[0][0]) >= count or None,
                    timeout=timeout, message=f"{count} rows in {table_name}")


def metric(server, family, name):
    text = urllib.request.urlopen(server.endpoint + "/metrics", timeout=10).read().decode()
    match = re.search(r'^%s\{[^}]*stream="%s"[^}]*\} (\S+)$' % (family, name), text, re.M)
    return float(match.group(1)) if match else None


def test_json_auto_into_typed_columns_with_manifest_and_exactly_once_record(server, pg):
    bucket = unique_name("b")
    t = table(pg, "id integer, big bigint, price numeric(12,4), name varchar(20), ok boolean, "
                  "at timestamp, at_tz timestamptz, day date, camelcase varchar(10)")
    name = create(server, redshift(pg, bucket, t, "JSON 'auto'"))
    description = server.firehose().describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    destination = description["Destinations"][0]["RedshiftDestinationDescription"]
    assert "Password" not in destination and destination["Username"] == LOADER_USER
    assert destination["ClusterJDBCURL"] == pg.jdbc_url
    assert destination["RetryOptions"] == {"DurationInSeconds": 3600}
    assert destination["S3BackupMode"] == "Disabled"

    records = [json.dumps({"id": i, "big": 9_000_000_000 + i, "price": "12.3456", "name": f"n{i}", "ok": i % 2 == 0,
                           "at": "2026-12-06 10:11:12", "at_tz": "2026-12-06T10:11:12Z", "day": "2026-12-06",
                           "CamelCase": "lost"}).encode() + b"\n" for i in range(50)]
    put(server, name, records)
    wait_rows(pg, t, 50)
    assert rows(pg, f"SELECT id, big, price, name, ok, at, at_tz AT TIME ZONE 'UTC', day, camelcase FROM {t} "
                    "WHERE id = 3") == [["3", "9000000003", "12.3456", "n3", "f", "2026-12-06 10:11:12",
                                        "2026-12-06 10:11:12", "2026-12-06", None]]
    assert rows(pg, f"SELECT count(DISTINCT id) FROM {t}") == [["50"]]

    objects = server.read_objects(bucket)
    staged = [k for k in objects if k.startswith("staged/") and "/manifests/" not in k and not k.startswith("staged/manifests/")]
    manifests = [k for k in objects if k.startswith("staged/manifests/")]
    assert staged and manifests
    assert re.match(r"^staged/manifests/\d{4}/\d{2}/\d{2}/\d{2}/%s-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}$"
                    % name, manifests[0])
    entries = [json.loads(objects[k])["entries"] for k in manifests]
    urls = sorted(e["url"] for batch in entries for e in batch)
    assert urls == sorted(f"s3://{bucket}/{k}" for k in staged)
    assert all(e["mandatory"] is True for batch in entries for e in batch)
    assert b"".join(objects[k] for k in sorted(staged)).count(b"\n") == 50
    recorded = rows(pg, "SELECT manifest, rows_loaded FROM hydrant_loaded_manifests WHERE table_name = "
                        f"'{t}' ORDER BY manifest")
    assert sorted(r[0] for r in recorded) == sorted(f"s3://{bucket}/{k}" for k in manifests)
    assert sum(int(r[1]) for r in recorded) == 50

    wait_for(lambda: metric(server, "firehose_delivery_to_redshift_records_total", name) == 50, message="metric")
    assert metric(server, "firehose_delivery_to_s3_records_total", name) == 50
    assert metric(server, "firehose_delivery_to_s3_objects_total", name) == 2 * len(manifests)


def test_auto_ignorecase_and_jsonpaths_file(server, pg):
    bucket = unique_name("b")
    t1 = table(pg, "userid integer, eventname varchar(30)")
    name = create(server, redshift(pg, bucket, t1, "json 'auto ignorecase'"))
    put(server, name, [b'{"UserId": 7, "EventName": "Login"}'])
    wait_rows(pg, t1, 1)
    assert rows(pg, f"SELECT * FROM {t1}") == [["7", "Login"]]

    t2 = table(pg, "who varchar(10), first_tag varchar(10), n integer")
    config_bucket = unique_name("cfg")
    server.s3().create_bucket(Bucket=config_bucket)
    server.s3().put_object(Bucket=config_bucket, Key="paths.json",
                           Body=json.dumps({"jsonpaths": ["$.user.name", "$.tags[0]", "$.n"]}).encode())
    name2 = create(server, redshift(pg, unique_name("b"), t2, f"JSON 's3://{config_bucket}/paths.json' MAXERROR 1"))
    # A missing element loads NULL; a top-level array has no $.user: the row is rejected.
    put(server, name2, [b'{"user": {"name": "ann"}, "tags": ["x", "y"], "n": 1}\n',
                        b'{"user": {}, "tags": ["z"], "n": 2}\n', b'[1, 2]\n'])
    wait_rows(pg, t2, 2)
    assert rows(pg, f"SELECT * FROM {t2} ORDER BY n") == [["ann", "x", "1"], [None, "z", "2"]]
    wait_for(lambda: "line 3: Invalid JSONPath format: Not an array or index out of range." in server.log_text(),
             message="the array row rejected")


def test_csv_and_delimited_records_and_gzip_staging(server, pg):
    t1 = table(pg, "id integer, label text, note varchar(5)")
    bucket = unique_name("b")
    name = create(server, redshift(pg, bucket, t1, "CSV QUOTE AS '\"' NULL AS 'NA' TRUNCATECOLUMNS GZIP",
                                   compression="GZIP"))
    put(server, name, [b'1,"a, ""quoted"" label",NA\n', b'2,"two\nlines",truncated\n'])
    wait_rows(pg, t1, 2)
    assert rows(pg, f"SELECT id, replace(label, chr(10), '<LF>'), note FROM {t1} ORDER BY id") == [
        ["1", 'a, "quoted" label', None], ["2", "two<LF>lines", "trunc"]]
    staged = [body for key, body in server.read_objects(bucket, "staged/").items() if key.endswith(".gz")]
    assert staged and gzip.decompress(staged[0]).startswith(b"1,")

    t2 = table(pg, "a integer, b text, c date")
    name2 = create(server, redshift(pg, unique_name("b"), t2, "", columns="c, a, b"))
    put(server, name2, [b"2026-01-02|1|one\n", b"\\N|2|\n"])
    wait_rows(pg, t2, 2)
    assert rows(pg, f"SELECT a, b, c FROM {t2} ORDER BY a") == [["1", "one", "2026-01-02"], ["2", "", None]]


def test_remote_staging_bucket_with_its_jsonpaths_a_processor_and_source_backup(hydrant_factory, s3rver, tmp_path, pg):
    """The intermediate bucket and the jsonpaths file at a real remote S3 (s3rver); records made
    into lines by a processor; the source records backed up as they arrived."""
    server = hydrant_factory(config_file=write_config(tmp_path / "hydrant.yaml", s3rver))
    remote = s3rver.client()
    remote.create_bucket(Bucket=REMOTE_BUCKET)
    remote.put_object(Bucket=REMOTE_BUCKET, Key="config/paths.json",
                      Body=json.dumps({"jsonpaths": ["$.x.a", "$.b"]}).encode())
    server.s3().create_bucket(Bucket="backup")
    t = table(pg, "a integer, b varchar(5)")
    config = redshift(pg, "logs", t, "JSON 's3://logs/config/paths.json'", extra={
        "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "AppendDelimiterToRecord"}]},
        "S3BackupMode": "Enabled",
        "S3BackupConfiguration": {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::backup", "Prefix": "source/",
                                  "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1}}})
    name = create(server, config)
    records = [json.dumps({"x": {"a": i}, "b": f"r{i}"}).encode() for i in range(5)]
    put(server, name, records)
    wait_rows(pg, t, 5)
    assert rows(pg, f"SELECT a, b FROM {t} ORDER BY a") == [[str(i), f"r{i}"] for i in range(5)]
    at_remote = s3rver.objects()
    staged = [body for key, body in at_remote.items() if key.startswith("staged/2")]
    manifests = [json.loads(body) for key, body in at_remote.items() if key.startswith("staged/manifests/")]
    assert b"".join(staged) == b"".join(r + b"\n" for r in records)
    assert manifests and manifests[0]["entries"][0]["url"].startswith("s3://logs/staged/")
    backup = server.wait_objects("backup", "source/", total_bytes=sum(map(len, records)))
    assert b"".join(backup[k] for k in sorted(backup)) == b"".join(records)


def test_epoch_and_pattern_time_formats(server, pg):
    t = table(pg, "at timestamp, day date")
    name = create(server, redshift(pg, unique_name("b"), t, "DELIMITER ',' TIMEFORMAT 'epochmillisecs' "
                                                            "DATEFORMAT 'DD/MM/YYYY'"))
    put(server, name, [b"1765015872123,06/12/2026\n"])
    wait_rows(pg, t, 1)
    assert rows(pg, f"SELECT at, day FROM {t}") == [["2025-12-06 10:11:12.123", "2026-12-06"]]


def test_bad_rows_within_maxerror_are_skipped_and_reported(server, pg):
    t = table(pg, "id integer NOT NULL, amount numeric(6,2)")
    name = create(server, redshift(pg, unique_name("b"), t, "JSON 'auto' MAXERROR 3"))
    put(server, name, [b'{"id": 1, "amount": 1.5}\n', b'{"id": "not a number"}\n', b'{"amount": 2}\n', b'oops\n',
                       b'{"id": 5, "amount": 5}\n'])
    wait_rows(pg, t, 2)
    time.sleep(1)
    assert rows(pg, f"SELECT id, amount FROM {t} ORDER BY id") == [["1", "1.50"], ["5", "5.00"]]
    wait_for(lambda: metric(server, "hydrant_delivery_to_redshift_rejected_rows_total", name) == 3, message="metric")
    log = server.log_text()
    assert "row rejected within MAXERROR 3: line 2: invalid input syntax for type integer" in log
    assert re.search(r"row rejected within MAXERROR 3: line 3: .*not-null constraint", log)
    assert "row rejected within MAXERROR 3: line 4: Invalid JSON" in log


def test_beyond_maxerror_retries_then_the_manifest_goes_to_errors(server, pg):
    bucket = unique_name("b")
    t = table(pg, "id integer")
    name = create(server, redshift(pg, bucket, t, "JSON 'auto' MAXERROR 1", retry_seconds=2))
    put(server, name, [b'{"id": "x"}', b'{"id": "y"}', b'{"id": 3}'])
    objects = server.wait_objects(bucket, "staged/errors/manifests/", count=1, timeout=60)
    key, body = next(iter(objects.items()))
    assert re.match(r"^staged/errors/manifests/\d{4}/\d{2}/\d{2}/\d{2}/%s-1-" % name, key)
    url = json.loads(body)["entries"][0]["url"]
    staged_key = url.split(f"s3://{bucket}/", 1)[1]
    assert staged_key in server.read_objects(bucket, "staged/")
    assert rows(pg, f"SELECT count(*) FROM {t}") == [["0"]]
    assert "Redshift.InvalidData" in server.log_text()
    # The stream carries on with the next batch.
    put(server, name, [b'{"id": 4}'])
    wait_rows(pg, t, 1)
    assert rows(pg, f"SELECT id FROM {t}") == [["4"]]


def test_wrong_password_then_fixed_by_update(server, pg):
    t = table(pg, "id integer")
    name = create(server, redshift(pg, unique_name("b"), t, "JSON 'auto'", password="wrong-password"))
    put(server, name, [b'{"id": 1}'])
    wait_for(lambda: "Redshift.AuthenticationFailed" in server.log_text(), timeout=20, message="auth failure logged")
    description = server.firehose().describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    server.firehose().update_destination(
        DeliveryStreamName=name, CurrentDeliveryStreamVersionId=description["VersionId"],
        DestinationId=description["Destinations"][0]["DestinationId"],
        RedshiftDestinationUpdate={"Password": LOADER_PASSWORD})
    wait_rows(pg, t, 1, timeout=60)
    assert rows(pg, f"SELECT id FROM {t}") == [["1"]]


def test_missing_table_then_created_resumes(server, pg):
    t = unique_name("later").replace("-", "_")
    name = create(server, redshift(pg, unique_name("b"), t, "JSON 'auto'", columns="id"))
    put(server, name, [b'{"id": 1}', b'{"id": 2}'])
    wait_for(lambda: "Redshift.TableNotFound" in server.log_text(), timeout=20, message="missing table logged")
    pg.sql(f"CREATE TABLE {t} (id integer)", user=LOADER_USER, password=LOADER_PASSWORD)
    wait_rows(pg, t, 2, timeout=60)
    time.sleep(1)
    assert rows(pg, f"SELECT id FROM {t} ORDER BY id") == [["1"], ["2"]]


def test_missing_column_is_column_not_found(server, pg):
    t = table(pg, "id integer")
    create(server, redshift(pg, unique_name("b"), t, "JSON 'auto'", columns="id, nope"))
    name = server.firehose().list_delivery_streams()["DeliveryStreamNames"][-1]
    put(server, name, [b'{"id": 1}'])
    wait_for(lambda: "Redshift.ColumnNotFound" in server.log_text(), timeout=20, message="missing column logged")


def test_server_stopped_then_started_loses_and_doubles_nothing(server, pg):
    t = table(pg, "id integer")
    name = create(server, redshift(pg, unique_name("b"), t, "JSON 'auto'"))
    put(server, name, [json.dumps({"id": i}).encode() for i in range(100)])
    wait_rows(pg, t, 100)
    pg.stop()
    try:
        put(server, name, [json.dumps({"id": i}).encode() for i in range(100, 300)])
        wait_for(lambda: "Redshift.ConnectionFailed" in server.log_text(), timeout=20, message="outage logged")
    finally:
        pg.start()
    wait_rows(pg, t, 300, timeout=90)
    time.sleep(2)
    assert rows(pg, f"SELECT count(*), count(DISTINCT id), min(id), max(id) FROM {t}") == [["300", "300", "0", "299"]]


class CommitHoldingProxy:
    """A TCP relay to PostgreSQL that, once, holds the server's answer to a COMMIT: the transaction
    commits in PostgreSQL but Hydrant never hears so (a lost answer, or a crash before the checkpoint)."""

    def __init__(self, port):
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.commit_seen = threading.Event()
        self.armed = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            holding = threading.Event()
            threading.Thread(target=self._pump, args=(client, upstream, holding, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, holding, False), daemon=True).start()

    def _pump(self, source, sink, holding, from_client):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if from_client and self.armed and b"COMMIT\x00" in data:
                    self.armed = False
                    holding.set()
                    self.commit_seen.set()
                if not from_client and holding.is_set():
                    continue  # the answer is swallowed: this connection never hears of its commit
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.close()
                except OSError:
                    pass

    @property
    def jdbc_url(self):
        return f"jdbc:postgresql://127.0.0.1:{self.port}/analytics"

    def close(self):
        self.listener.close()


def test_kill_9_between_commit_and_checkpoint_loads_each_row_once(hydrant_factory, pg):
    proxy = CommitHoldingProxy(pg.port)
    try:
        server = hydrant_factory()
        t = table(pg, "id integer")
        name = create(server, redshift(pg, unique_name("b"), t, "JSON 'auto'", url=proxy.jdbc_url))
        put(server, name, [json.dumps({"id": i}).encode() for i in range(200)])
        assert proxy.commit_seen.wait(30)
        wait_rows(pg, t, 200)  # committed in PostgreSQL; Hydrant is still waiting for the answer
        server.kill()
        server.restart()
        put(server, name, [json.dumps({"id": i}).encode() for i in range(200, 210)])
        wait_rows(pg, t, 210, timeout=60)
        time.sleep(2)
        assert rows(pg, f"SELECT count(*), count(DISTINCT id) FROM {t}") == [["210", "210"]]
        assert "was loaded into" in server.log_text() and "already: not loaded again" in server.log_text()
    finally:
        proxy.close()


def test_validation_errors_name_the_problem(server, pg):
    firehose = server.firehose()

    def refused(config):
        with pytest.raises(firehose.exceptions.InvalidArgumentException) as error:
            firehose.create_delivery_stream(DeliveryStreamName=unique_name("bad"), RedshiftDestinationConfiguration=config)
        return error.value.response["Error"]["Message"]

    base = redshift(pg, "bucket", "t", "JSON 'auto'")
    assert "FIXEDWIDTH is not supported" in refused({**base, "CopyCommand": {"DataTableName": "t",
                                                                             "CopyOptions": "FIXEDWIDTH 'a:2'"}})
    assert "must include GZIP" in refused(redshift(pg, "bucket", "t", "JSON 'auto'", compression="GZIP"))
    assert "UNCOMPRESSED or GZIP" in refused(redshift(pg, "bucket", "t", "JSON 'auto'", compression="Snappy"))
    prefixed = redshift(pg, "bucket", "t", "JSON 'auto'")
    prefixed["S3Configuration"]["Prefix"] = "p/!{timestamp:yyyy}/"
    prefixed["S3Configuration"]["ErrorOutputPrefix"] = "e/!{firehose:error-output-type}/"
    assert "cannot contain expressions" in refused(prefixed)
    with pytest.raises(firehose.exceptions.ClientError) as error:
        firehose.create_delivery_stream(DeliveryStreamName=unique_name("bad"),
                                        RedshiftDestinationConfiguration={**base, "ClusterJDBCURL": "mysql://h/db"})
    assert "ValidationException" in str(error.value)


def test_readme_quick_start_runs_as_written(server, pg, tmp_path):
    """The README's "Redshift quick start" block, with this suite's PostgreSQL and server port."""
    from harness import REPO_ROOT
    section = (REPO_ROOT / "README.md").read_text().split("## Redshift quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"^```sh\n(.*?)^```", section, flags=re.M | re.S).group(1)
    block = re.sub(r"^export PGHOST=.*$", f"export PGHOST=127.0.0.1 PGPORT={pg.port} PGDATABASE=analytics "
                                          f"PGUSER={LOADER_USER} PGPASSWORD={LOADER_PASSWORD}", block, flags=re.M)
    block = block.replace("127.0.0.1:4573", f"127.0.0.1:{server.port}").replace("/tmp/", f"{tmp_path}/")
    pg.sql("DROP TABLE IF EXISTS user_events")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", block], capture_output=True, text=True, timeout=120,
                            env=server.client_env())
    assert result.returncode == 0, result.stderr
    assert re.search(r"kimdh\s*\|\s*login\s*\|\s*2026-12-06 10:15:00\+00", result.stdout), result.stdout
    assert "(3 rows)" in result.stdout
    assert re.search(r"staging/manifests/\d{4}/\d{2}/\d{2}/\d{2}/to-postgres-1-", result.stdout)
