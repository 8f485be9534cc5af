"""The Glue Data Catalog on Hydrant's port: boto3's glue client and `aws glue`, unchanged."""
import datetime
import json

import pytest

from conftest import unique_name

NESTED = "struct<id:bigint,tags:array<string>,attrs:map<string,struct<v:decimal(10,2),at:timestamp>>>"


def columns(*pairs):
    return [{"Name": name, "Type": type_} for name, type_ in pairs]


def table_input(name, cols, **extra):
    return {"Name": name, "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "parquet"},
            "StorageDescriptor": {"Columns": cols, "Location": "s3://bucket/prefix/",
                                  "SerdeInfo": {"SerializationLibrary":
                                                "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}},
            **extra}


def test_databases_tables_and_versions_with_boto3(hydrant):
    glue = hydrant.glue()
    db = unique_name("db").replace("-", "_")
    glue.create_database(DatabaseInput={"Name": db.upper(), "Description": "events", "Parameters": {"k": "v"}})
    database = glue.get_database(Name=db)["Database"]
    assert database["Name"] == db and database["Description"] == "events" and database["Parameters"] == {"k": "v"}
    assert database["CatalogId"] == "123456789012"
    assert isinstance(database["CreateTime"], datetime.datetime)
    assert db in [d["Name"] for d in glue.get_databases()["DatabaseList"]]

    cols = columns(("id", "bigint"), ("name", "varchar(64)"), ("code", "char(3)"), ("price", "decimal(12,4)"),
                   ("ok", "boolean"), ("at", "timestamp"), ("day", "date"), ("raw", "binary"),
                   ("small", "tinyint"), ("mid", "smallint"), ("n", "int"), ("f", "float"), ("d", "double"),
                   ("s", "string"), ("nested", NESTED))
    glue.create_table(DatabaseName=db, TableInput=table_input("Events", cols,
                                                              PartitionKeys=columns(("dt", "string"))))
    table = glue.get_table(DatabaseName=db, Name="events")["Table"]
    assert table["Name"] == "events" and table["DatabaseName"] == db and table["VersionId"] == "1"
    assert table["StorageDescriptor"]["Columns"] == cols
    assert table["PartitionKeys"] == columns(("dt", "string"))
    assert table["TableType"] == "EXTERNAL_TABLE" and table["Parameters"] == {"classification": "parquet"}

    glue.update_table(DatabaseName=db, TableInput=table_input("events", cols + columns(("extra", "string"))))
    glue.update_table(DatabaseName=db, TableInput=table_input("events", cols), VersionId="2")
    with pytest.raises(glue.exceptions.ConcurrentModificationException):
        glue.update_table(DatabaseName=db, TableInput=table_input("events", cols), VersionId="1")
    versions = glue.get_table_versions(DatabaseName=db, TableName="events")["TableVersions"]
    assert [v["VersionId"] for v in versions] == ["3", "2", "1"]
    second = glue.get_table_version(DatabaseName=db, TableName="events", VersionId="2")["TableVersion"]
    assert second["Table"]["StorageDescriptor"]["Columns"][-1] == {"Name": "extra", "Type": "string"}
    assert glue.get_table(DatabaseName=db, Name="events")["Table"]["VersionId"] == "3"

    glue.create_table(DatabaseName=db, TableInput=table_input("orders", cols[:2]))
    assert [t["Name"] for t in glue.get_tables(DatabaseName=db)["TableList"]] == ["events", "orders"]
    assert [t["Name"] for t in glue.get_tables(DatabaseName=db, Expression="ord*")["TableList"]] == ["orders"]
    page = glue.get_tables(DatabaseName=db, MaxResults=1)
    assert [t["Name"] for t in page["TableList"]] == ["events"]
    assert [t["Name"] for t in glue.get_tables(DatabaseName=db, MaxResults=1, NextToken=page["NextToken"])[
        "TableList"]] == ["orders"]

    glue.delete_table(DatabaseName=db, Name="orders")
    glue.delete_database(Name=db)
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_database(Name=db)


def test_glue_errors(hydrant):
    glue = hydrant.glue()
    db = unique_name("db").replace("-", "_")
    with pytest.raises(glue.exceptions.EntityNotFoundException) as missing:
        glue.get_database(Name=db)
    assert missing.value.response["Error"]["Message"] == f"Database {db} not found."
    glue.create_database(DatabaseInput={"Name": db})
    with pytest.raises(glue.exceptions.AlreadyExistsException):
        glue.create_database(DatabaseInput={"Name": db})
    with pytest.raises(glue.exceptions.EntityNotFoundException) as missing_table:
        glue.get_table(DatabaseName=db, Name="nope")
    assert missing_table.value.response["Error"]["Message"] == "Table nope not found."
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.create_table(DatabaseName=db + "_other", TableInput=table_input("t", columns(("a", "int"))))
    glue.create_table(DatabaseName=db, TableInput=table_input("t", columns(("a", "int"))))
    with pytest.raises(glue.exceptions.AlreadyExistsException):
        glue.create_table(DatabaseName=db, TableInput=table_input("T", columns(("a", "int"))))
    unchecked = hydrant.glue(parameter_validation=False)
    with pytest.raises(unchecked.exceptions.ClientError) as too_long:
        unchecked.create_database(DatabaseInput={"Name": "x" * 256})
    assert too_long.value.response["Error"]["Code"] == "ValidationException"
    assert "databaseInput.name" in too_long.value.response["Error"]["Message"]


def test_aws_cli_and_persistence_across_restart(hydrant, tmp_path):
    db = unique_name("db").replace("-", "_")
    hydrant.aws("glue", "create-database", "--database-input", json.dumps({"Name": db}), check=True)
    table = table_input("clicks", columns(("user", "string"), ("at", "timestamp")))
    (tmp_path / "table.json").write_text(json.dumps(table))
    hydrant.aws("glue", "create-table", "--database-name", db, "--table-input", f"file://{tmp_path}/table.json",
                check=True)
    hydrant.aws("glue", "update-table", "--database-name", db, "--table-input", f"file://{tmp_path}/table.json",
                check=True)
    hydrant.kill()
    hydrant.restart()
    listed = json.loads(hydrant.aws("glue", "get-tables", "--database-name", db, check=True).stdout)
    assert [t["Name"] for t in listed["TableList"]] == ["clicks"]
    assert listed["TableList"][0]["VersionId"] == "2"
    versions = json.loads(hydrant.aws("glue", "get-table-versions", "--database-name", db, "--table-name", "clicks",
                                      check=True).stdout)
    assert [v["VersionId"] for v in versions["TableVersions"]] == ["2", "1"]
    missing = hydrant.aws("glue", "get-table", "--database-name", db, "--name", "nope")
    assert missing.returncode != 0 and "EntityNotFoundException" in missing.stderr
