"""Parquet written by Hydrant's record format conversion, read back by three independent readers.

build/hydrant-parquet-sample converts JSON records with the product's ParquetConverter (the Glue
column types, OpenXJsonSerDe or HiveJsonSerDe, ParquetSerDe's options); tests/js/parquet_read.mjs
reads the file with DuckDB (@duckdb/node-api), hyparquet (with hyparquet-compressors) and
parquet-wasm (arrow-rs through apache-arrow). Every value must come back as it was sent, nulls,
nested types, decimals and timestamps included, for every compression and writer version.
"""
import datetime
import decimal
import json
import os
import subprocess
from decimal import Decimal

import pytest

from harness import REPO_ROOT

decimal.getcontext().prec = 80  # 38-digit decimals, scaled, without rounding

JS_DIR = REPO_ROOT / "tests" / "js"
SAMPLE = os.path.join(os.path.dirname(os.environ.get("HYDRANT_BIN", str(REPO_ROOT / "build" / "hydrant"))),
                      "hydrant-parquet-sample")

COLUMNS = [
    ("id", "bigint"), ("name", "varchar(10)"), ("code", "char(3)"), ("small", "tinyint"), ("mid", "smallint"),
    ("n", "int"), ("price", "decimal(12,4)"), ("big", "decimal(38,10)"), ("tiny_dec", "decimal(3,1)"),
    ("ok", "boolean"), ("at", "timestamp"), ("day", "date"), ("f", "float"), ("d", "double"), ("s", "string"),
    ("raw", "binary"), ("tags", "array<string>"), ("grid", "array<array<int>>"), ("attrs", "map<string,int>"),
    ("nested", "struct<a:int,b:array<struct<c:string,d:decimal(5,2)>>,m:map<int,boolean>>"),
]

RECORDS = [
    {"id": 1, "name": "Ann", "code": "abc", "small": -128, "mid": 32767, "n": -2147483648, "price": 12.34,
     "big": "1234567890123456789012345678.0123456789", "tiny_dec": -99.94, "ok": True,
     "at": "2026-12-06T10:15:00.123Z", "day": "2026-12-06", "f": 1.5, "d": -2.25e100, "s": "ünïcode ✓",
     "raw": "xyz", "tags": ["a", None, "c"], "grid": [[1, 2], [], None, [3]], "attrs": {"k": 1, "n": None},
     "nested": {"a": 7, "b": [{"c": "x", "d": -1.5}, {"c": None}], "m": {"1": True, "2": False}}},
    {"id": 9223372036854775807, "tags": [], "grid": [], "attrs": {}, "nested": {"b": [], "m": {}},
     "at": "2026-12-06 10:15:00.000001", "ok": False, "s": "", "price": "-0.00005"},
    {"id": -9223372036854775808, "at": 1765016100, "day": None},
    {"id": 4, "at": 1765016100123, "s": {"an": ["object"]}},
]

# What each row must read back as (the column's value; absent = null).
EXPECTED = [
    {"id": 1, "name": "Ann", "code": "abc", "small": -128, "mid": 32767, "n": -2147483648, "price": Decimal("12.3400"),
     "big": Decimal("1234567890123456789012345678.0123456789"), "tiny_dec": Decimal("-99.9"), "ok": True,
     "at": "2026-12-06T10:15:00.123000", "day": "2026-12-06", "f": 1.5, "d": -2.25e100, "s": "ünïcode ✓",
     "raw": "xyz", "tags": ["a", None, "c"], "grid": [[1, 2], [], None, [3]], "attrs": [("k", 1), ("n", None)],
     "nested": {"a": 7, "b": [{"c": "x", "d": Decimal("-1.50")}, {"c": None, "d": None}],
                "m": [(1, True), (2, False)]}},
    {"id": 9223372036854775807, "tags": [], "grid": [], "attrs": [], "nested": {"a": None, "b": [], "m": []},
     "at": "2026-12-06T10:15:00.000001", "ok": False, "s": "", "price": Decimal("-0.0001")},
    {"id": -9223372036854775808, "at": "2025-12-06T10:15:00.000000"},
    {"id": 4, "at": "2025-12-06T10:15:00.123000", "s": '{"an": ["object"]}'},
]


def convert(tmp_path, records, columns=COLUMNS, **options):
    spec = {"columns": [{"name": n, "type": t} for n, t in columns],
            "records": [r if isinstance(r, str) else json.dumps(r) for r in records], **options}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    out = subprocess.run([SAMPLE, str(tmp_path / "spec.json"), str(tmp_path / "out.parquet")],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout), tmp_path / "out.parquet"


def read_all(path):
    out = subprocess.run(["node", "parquet_read.mjs", str(path)], cwd=JS_DIR, check=True, capture_output=True,
                         text=True, timeout=120)
    return json.loads(out.stdout)


def parse_type(t):
    """('array', inner) / ('map', k, v) / ('struct', [(name, type)]) / (primitive, scale)."""
    t = t.strip()
    for kind in ("array", "map", "struct"):
        if t.startswith(kind + "<"):
            parts, depth, start, inner = [], 0, 0, t[len(kind) + 1:-1]
            for i, c in enumerate(inner):
                depth += c == "<"
                depth -= c == ">"
                if c == "," and depth == 0 and "(" not in inner[start:i].split(":")[-1][-1:]:
                    parts.append(inner[start:i])
                    start = i + 1
            parts.append(inner[start:])
            # decimal(p,s) contains a comma: glue the pieces back
            merged = []
            for p in parts:
                if merged and merged[-1].count("(") > merged[-1].count(")"):
                    merged[-1] += "," + p
                else:
                    merged.append(p)
            if kind == "array":
                return ("array", merged[0])
            if kind == "map":
                return ("map", merged[0], merged[1])
            return ("struct", [tuple(p.split(":", 1)) for p in merged])
    scale = int(t.split(",")[1].rstrip(")")) if t.startswith("decimal(") else 0
    return (t.split("(")[0], scale)


def same(t, expected, got, reader):
    """Whether `got` (as `reader` returns it) is the value `expected` of Hive type `t`."""
    kind = parse_type(t)
    if expected is None:
        return got is None
    if got is None:
        return False
    if kind[0] == "array":
        return len(expected) == len(got) and all(same(kind[1], e, g, reader) for e, g in zip(expected, got))
    if kind[0] == "map":
        pairs = [(p["key"], p["value"]) for p in got] if reader == "duckdb" else list(got.items())
        return len(pairs) == len(expected) and all(
            same(kind[1], ek, gk if not isinstance(ek, int) else int(gk), reader) and same(kind[2], ev, gv, reader)
            for (ek, ev), (gk, gv) in zip(expected, pairs))
    if kind[0] == "struct":
        return all(same(ft, expected.get(fn), got.get(fn), reader) for fn, ft in kind[1])
    name, scale = kind
    if name == "decimal":
        if reader == "arrow":
            return Decimal(got.strip('"')).scaleb(-scale) == expected
        if reader == "hyparquet":
            return abs(Decimal(repr(got)) - expected) <= abs(expected) * Decimal("1e-12") + Decimal("1e-12")
        return Decimal(got) == expected
    if name == "timestamp":
        want = datetime.datetime.fromisoformat(expected).replace(tzinfo=datetime.timezone.utc)
        if reader == "arrow":
            return got == int(want.timestamp() * 1000) // 1 if want.microsecond % 1000 == 0 else \
                abs(got - want.timestamp() * 1000) < 1
        if reader == "duckdb":
            return datetime.datetime.fromisoformat(got).replace(tzinfo=datetime.timezone.utc) == want
        return abs(datetime.datetime.fromisoformat(got.replace("Z", "+00:00")) - want) < datetime.timedelta(milliseconds=1)
    if name == "date":
        if reader == "arrow":
            return datetime.datetime.fromtimestamp(got / 1000, datetime.timezone.utc).date().isoformat() == expected
        return got[:10] == expected
    if name in ("float", "double"):
        return abs(got - expected) <= abs(expected) * 1e-6
    if name in ("tinyint", "smallint", "int", "bigint"):
        return int(got) == expected
    if name == "binary":
        return (bytes.fromhex(got["hex"]).decode() if isinstance(got, dict) else got) == expected
    if name == "char":
        return got.rstrip() == expected
    return got == expected


def check(path, expected_rows, columns=COLUMNS):
    readers = read_all(path)
    for reader in ("duckdb", "hyparquet", "arrow"):
        rows = readers[reader]
        assert len(rows) == len(expected_rows), reader
        for index, (want, got) in enumerate(zip(expected_rows, rows)):
            for name, type_ in columns:
                assert same(type_, want.get(name), got.get(name), reader), \
                    f"{reader}: row {index} column {name}: expected {want.get(name)!r}, read {got.get(name)!r}"
    return readers


@pytest.mark.parametrize("compression,v2,dictionary", [
    ("SNAPPY", False, True), ("GZIP", False, False), ("UNCOMPRESSED", True, True), ("SNAPPY", True, False),
    ("GZIP", True, True)])
def test_every_type_reads_back_in_three_readers(tmp_path, compression, v2, dictionary):
    result, path = convert(tmp_path, RECORDS + ['{"id": "not a number"}', "not json", '{"small": 128}'],
                           compression=compression, v2=v2, dictionary=dictionary)
    assert result["rows"] == len(RECORDS)
    assert [index for index, _ in result["refused"]] == [4, 5, 6]
    assert "column small (tinyint) cannot hold 128" in result["refused"][2][1]
    check(path, EXPECTED)


def test_many_rows_span_pages_and_row_groups(tmp_path):
    columns = [("id", "bigint"), ("label", "string"), ("values", "array<int>"), ("props", "map<string,string>")]
    records = [{"id": i, "label": f"label-{i % 7}", "values": list(range(i % 5)),
                "props": {"k": str(i)} if i % 3 else None} for i in range(5000)]
    result, path = convert(tmp_path, records, columns=columns, page_bytes=4096, block_bytes=65536)
    assert result == {"rows": 5000, "refused": []}
    expected = [{"id": r["id"], "label": r["label"], "values": r["values"],
                 "props": [("k", r["props"]["k"])] if r["props"] else None} for r in records]
    readers = check(path, expected, columns)
    assert len(readers["duckdb"]) == 5000


def test_openx_and_hive_input_options(tmp_path):
    columns = [("user_id", "int"), ("event_name", "string"), ("when", "timestamp")]
    records = [{"User.Id": 1, "EVENT_NAME": "login", "ts": "2026-12-06T10:15:00Z"}]
    # OpenX: dots become underscores, keys match in any case, a column takes another key by mapping.
    result, path = convert(tmp_path, records, columns=columns, dots_to_underscores=True, mappings={"when": "ts"})
    assert result["rows"] == 1
    check(path, [{"user_id": 1, "event_name": "login", "when": "2026-12-06T10:15:00.000000"}], columns)
    # Case-sensitive OpenX: only exact keys match.
    result, path = convert(tmp_path, records, columns=columns, case_insensitive=False, dots_to_underscores=True)
    check(path, [{}], columns)
    # HiveJsonSerDe with its TimestampFormats: a Joda pattern and epoch milliseconds.
    hive_records = [{"user_id": 2, "when": "06/12/2026 10:15:00.250 +0200"}, {"user_id": 3, "when": "1765016100123"}]
    result, path = convert(tmp_path, hive_records, columns=columns, hive=True,
                           timestamp_formats=["dd/MM/yyyy HH:mm:ss.SSS Z", "millis"])
    assert result["rows"] == 2
    check(path, [{"user_id": 2, "when": "2026-12-06T08:15:00.250000"},
                 {"user_id": 3, "when": "2025-12-06T10:15:00.123000"}], columns)
    # HiveJsonSerDe refuses strings in numeric columns and objects in string columns; OpenX takes
    # both, and makes a single value a one-element array.
    result, path = convert(tmp_path, [{"user_id": "4"}, {"event_name": {"a": 1}}], columns=columns, hive=True)
    assert [index for index, _ in result["refused"]] == [0, 1]
    tagged = columns + [("tags", "array<string>")]
    result, path = convert(tmp_path, [{"user_id": "4", "event_name": {"a": 1}, "tags": "one"}], columns=tagged)
    assert result["refused"] == []
    check(path, [{"user_id": 4, "event_name": '{"a": 1}', "tags": ["one"]}], tagged)


ROLE = "arn:aws:iam::123456789012:role/FirehoseDeliveryRole"
STREAM_COLUMNS = [("username", "string"), ("action", "string"), ("ts", "timestamp"), ("n", "int"),
                  ("price", "decimal(10,2)"), ("tags", "array<string>")]


def conversion_stream(server, bucket, database, table, **serde):
    from conftest import unique_name
    name = unique_name("pq")
    server.s3().create_bucket(Bucket=bucket)
    server.firehose().create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration={
        "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": "parquet/",
        "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
        "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 1},
        "DataFormatConversionConfiguration": {
            "SchemaConfiguration": {"DatabaseName": database, "TableName": table, "RoleARN": ROLE},
            "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
            "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": serde}}}})
    server.wait_active(name)
    return name


def create_table(server, database, table, columns):
    glue = server.glue()
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_table(DatabaseName=database, TableInput={
        "Name": table, "StorageDescriptor": {"Columns": [{"Name": n, "Type": t} for n, t in columns]}})


def test_a_stream_delivers_parquet_typed_by_its_glue_table(hydrant, tmp_path):
    from conftest import unique_name
    bucket, database = unique_name("b"), unique_name("db").replace("-", "_")
    create_table(hydrant, database, "events", STREAM_COLUMNS)
    name = conversion_stream(hydrant, bucket, database, "events", Compression="GZIP", WriterVersion="V2")
    description = hydrant.firehose().describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    extended = description["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert extended["DataFormatConversionConfiguration"]["SchemaConfiguration"]["TableName"] == "events"
    assert extended["BufferingHints"] == {"SizeInMBs": 64, "IntervalInSeconds": 1}
    records = [{"username": "kimdh", "action": "login", "ts": "2026-12-06T10:15:00Z", "n": 1, "price": "9.99",
                "tags": ["a", "b"]},
               {"UserName": "lee", "action": "logout", "ts": 1765016100, "n": 2, "tags": "solo"}]
    bad = [b"this is not JSON\n", json.dumps({"username": "x", "n": 4294967296}).encode()]
    response = hydrant.firehose().put_record_batch(
        DeliveryStreamName=name, Records=[{"Data": json.dumps(r).encode() + b"\n"} for r in records] +
                                         [{"Data": b} for b in bad])
    assert response["FailedPutCount"] == 0

    objects = hydrant.wait_objects(bucket, "parquet/", count=1, timeout=30)
    key = next(iter(objects))
    assert key.endswith(".parquet") and objects[key][:4] == b"PAR1"
    (tmp_path / "delivered.parquet").write_bytes(objects[key])
    check(tmp_path / "delivered.parquet", [
        {"username": "kimdh", "action": "login", "ts": "2026-12-06T10:15:00.000000", "n": 1,
         "price": Decimal("9.99"), "tags": ["a", "b"]},
        {"username": "lee", "action": "logout", "ts": "2025-12-06T10:15:00.000000", "n": 2, "tags": ["solo"]}],
        STREAM_COLUMNS)

    failed = hydrant.wait_objects(bucket, "errors/format-conversion-failed/", count=1, timeout=30)
    documents = [json.loads(line) for body in failed.values() for line in body.decode().splitlines()]
    assert len(documents) == 2
    assert list(documents[0]) == ["attemptsMade", "arrivalTimestamp", "lastErrorCode", "lastErrorMessage",
                                  "attemptEndingTimestamp", "rawData", "sequenceNumber", "subSequenceNumber",
                                  "dataCatalogTable"]
    assert sorted(__import__("base64").b64decode(d["rawData"]) for d in documents) == sorted(bad)
    assert {d["lastErrorCode"] for d in documents} == {"DataFormatConversion.MalformedData"}
    assert "column n (int) cannot hold 4294967296" in " ".join(d["lastErrorMessage"] for d in documents)
    assert documents[0]["dataCatalogTable"] == {
        "catalogId": "123456789012", "databaseName": database, "tableName": "events", "region": "us-east-1",
        "versionId": "LATEST", "catalogArn": "arn:aws:glue:us-east-1:123456789012:catalog"}


def test_a_missing_table_is_waited_for_then_the_batch_is_converted(hydrant, tmp_path):
    from conftest import unique_name
    from harness import wait_for
    bucket, database = unique_name("b"), unique_name("db").replace("-", "_")
    name = conversion_stream(hydrant, bucket, database, "later")
    hydrant.firehose().put_record(DeliveryStreamName=name, Record={"Data": b'{"username": "kimdh", "n": 7}'})
    wait_for(lambda: "DataFormatConversion.EntityNotFound" in hydrant.log_text(), timeout=20,
             message="the missing table logged")
    assert hydrant.read_objects(bucket) == {}
    create_table(hydrant, database, "later", STREAM_COLUMNS)
    objects = hydrant.wait_objects(bucket, "parquet/", count=1, timeout=60)
    (tmp_path / "late.parquet").write_bytes(next(iter(objects.values())))
    check(tmp_path / "late.parquet", [{"username": "kimdh", "n": 7}], STREAM_COLUMNS)


def test_readme_parquet_quick_start_runs_as_written(hydrant, tmp_path):
    """The README's "Parquet quick start" block, with this server's port."""
    import re
    section = (REPO_ROOT / "README.md").read_text().split("## Parquet quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"^```sh\n(.*?)^```", section, flags=re.M | re.S).group(1)
    block = block.replace("127.0.0.1:4573", f"127.0.0.1:{hydrant.port}").replace("/tmp/", f"{tmp_path}/")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", block], capture_output=True, text=True, timeout=120,
                            env=hydrant.client_env(), cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    for who in ("kimdh", "lee", "park"):
        assert re.search(rf"'{who}'\s*│\s*'login'\s*│\s*'2026-12-06 10:15:00'\s*│\s*\[ 'web' \]", result.stdout), \
            result.stdout


def test_conversion_after_a_processor_with_source_backup(hydrant, tmp_path):
    """As on the service: processors run first, the backup holds the records as they arrived."""
    from conftest import unique_name
    bucket, database = unique_name("b"), unique_name("db").replace("-", "_")
    create_table(hydrant, database, "events", STREAM_COLUMNS)
    hydrant.s3().create_bucket(Bucket=bucket)
    hydrant.s3().create_bucket(Bucket=bucket + "-backup")
    name = unique_name("pq")
    hydrant.firehose().create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration={
        "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": "parquet/",
        "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
        "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 1},
        "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "RecordDeAggregation", "Parameters": [
            {"ParameterName": "SubRecordType", "ParameterValue": "DELIMITED"},
            {"ParameterName": "Delimiter", "ParameterValue": "fA=="}]}]},  # "|" in base64
        "S3BackupMode": "Enabled",
        "S3BackupConfiguration": {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}-backup",
                                  "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1}},
        "DataFormatConversionConfiguration": {
            "SchemaConfiguration": {"DatabaseName": database, "TableName": "events", "RoleARN": ROLE},
            "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
            "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {}}}}})
    hydrant.wait_active(name)
    aggregated = b'{"username": "a", "n": 1}|{"username": "b", "n": 2}'
    hydrant.firehose().put_record(DeliveryStreamName=name, Record={"Data": aggregated})
    objects = hydrant.wait_objects(bucket, "parquet/", count=1, timeout=30)
    (tmp_path / "split.parquet").write_bytes(next(iter(objects.values())))
    check(tmp_path / "split.parquet", [{"username": "a", "n": 1}, {"username": "b", "n": 2}], STREAM_COLUMNS)
    backup = hydrant.wait_objects(bucket + "-backup", "", count=1, timeout=30)
    assert b"".join(backup.values()) == aggregated


def test_dynamic_partitioning_converts_each_partition(hydrant, tmp_path):
    from conftest import unique_name
    bucket, database = unique_name("b"), unique_name("db").replace("-", "_")
    create_table(hydrant, database, "events", STREAM_COLUMNS)
    hydrant.s3().create_bucket(Bucket=bucket)
    name = unique_name("pq")
    hydrant.firehose().create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration={
        "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
        "Prefix": "parquet/user=!{partitionKeyFromQuery:user}/",
        "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
        "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 1},
        "DynamicPartitioningConfiguration": {"Enabled": True},
        "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "MetadataExtraction", "Parameters": [
            {"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{user: .username}"},
            {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]}]},
        "DataFormatConversionConfiguration": {
            "SchemaConfiguration": {"DatabaseName": database, "TableName": "events", "RoleARN": ROLE},
            "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
            "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {}}}}})
    hydrant.wait_active(name)
    records = [{"username": "a", "n": 1}, {"username": "b", "n": 2}, {"username": "a", "n": 3},
               {"username": "b", "n": "not a number"}]
    hydrant.firehose().put_record_batch(DeliveryStreamName=name,
                                        Records=[{"Data": json.dumps(r).encode()} for r in records])
    objects = hydrant.wait_objects(bucket, "parquet/", count=2, timeout=30)
    by_user = {key.split("/")[1]: body for key, body in objects.items()}
    assert sorted(by_user) == ["user=a", "user=b"] and all(k.endswith(".parquet") for k in objects)
    (tmp_path / "a.parquet").write_bytes(by_user["user=a"])
    (tmp_path / "b.parquet").write_bytes(by_user["user=b"])
    check(tmp_path / "a.parquet", [{"username": "a", "n": 1}, {"username": "a", "n": 3}], STREAM_COLUMNS)
    check(tmp_path / "b.parquet", [{"username": "b", "n": 2}], STREAM_COLUMNS)
    failed = hydrant.wait_objects(bucket, "errors/format-conversion-failed/", count=1, timeout=30)
    documents = [json.loads(line) for body in failed.values() for line in body.decode().splitlines()]
    assert len(documents) == 1 and documents[0]["lastErrorCode"] == "DataFormatConversion.MalformedData"
    assert json.loads(__import__("base64").b64decode(documents[0]["rawData"])) == records[3]
    assert documents[0]["dataCatalogTable"]["tableName"] == "events"


def test_a_lambda_shapes_records_before_conversion(hydrant, tmp_path):
    """The tutorial's shape: a Lambda renames fields, then the records become Parquet."""
    import zipfile
    from conftest import unique_name
    package = tmp_path / "fn.zip"
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("fn.py", "import base64, json\n"
                            "def handler(event, context):\n"
                            "    out = []\n"
                            "    for r in event['records']:\n"
                            "        doc = json.loads(base64.b64decode(r['data']))\n"
                            "        shaped = {'username': doc['user'], 'action': doc['action'], 'ts': doc['time']}\n"
                            "        out.append({'recordId': r['recordId'], 'result': 'Ok',\n"
                            "                    'data': base64.b64encode(json.dumps(shaped).encode()).decode()})\n"
                            "    return {'records': out}\n")
    result = hydrant.aws("lambda", "create-function", "--function-name", "shape", "--runtime", "python3.11",
                         "--handler", "fn.handler", "--role", ROLE, "--zip-file", f"fileb://{package}")
    assert result.returncode == 0, result.stderr
    bucket, database = unique_name("b"), unique_name("db").replace("-", "_")
    create_table(hydrant, database, "events", STREAM_COLUMNS)
    hydrant.s3().create_bucket(Bucket=bucket)
    name = unique_name("pq")
    hydrant.firehose().create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration={
        "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": "parquet/",
        "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 1},
        "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": [
            {"ParameterName": "LambdaArn", "ParameterValue": "arn:aws:lambda:us-east-1:123456789012:function:shape"}]}]},
        "DataFormatConversionConfiguration": {
            "SchemaConfiguration": {"DatabaseName": database, "TableName": "events", "RoleARN": ROLE},
            "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
            "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {}}}}})
    hydrant.wait_active(name)
    hydrant.firehose().put_record(DeliveryStreamName=name, Record={
        "Data": json.dumps({"user": "kimdh", "time": "2025-08-07T10:15:00Z", "action": "login"}).encode()})
    objects = hydrant.wait_objects(bucket, "parquet/", count=1, timeout=60)
    (tmp_path / "shaped.parquet").write_bytes(next(iter(objects.values())))
    check(tmp_path / "shaped.parquet", [{"username": "kimdh", "action": "login", "ts": "2025-08-07T10:15:00.000000"}],
          STREAM_COLUMNS)
