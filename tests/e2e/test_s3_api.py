"""End-to-end tests of the embedded S3 API with the real aws CLI (v1) and boto3.

Each test gets a fresh server (the `hydrant` fixture). Buckets live under <data_dir>; the
escape tests check that no request can create a file outside it.
"""
import hashlib
import os
import re
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

MIB = 1024 * 1024


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def http_status(excinfo):
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def xml_tag(body, name):
    match = re.search(rf"<{name}>(.*?)</{name}>", body.decode("utf-8", "replace"), re.S)
    return match.group(1) if match else None


def cli_keys(output):
    """Keys (last column) of `aws s3 ls` object lines; PRE lines are skipped."""
    keys = []
    for line in output.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[0] != "PRE":
            keys.append(parts[3])
    return keys


def multipart_etag(data, part_size):
    digests = b"".join(hashlib.md5(data[i:i + part_size]).digest() for i in range(0, len(data), part_size))
    return f'"{hashlib.md5(digests).hexdigest()}-{(len(data) + part_size - 1) // part_size}"'


def files_named(root, fragment):
    return [p for p in Path(root).rglob("*") if fragment in p.name]


# ---- aws CLI ------------------------------------------------------------------------------


def test_cli_mb_ls_cp_rm_rb(hydrant, tmp_path):
    hydrant.aws("s3", "mb", "s3://cli-bucket", check=True)
    assert "cli-bucket" in hydrant.aws("s3", "ls", check=True).stdout

    source = tmp_path / "hello.txt"
    source.write_bytes(b"hello from the aws cli\n")
    hydrant.aws("s3", "cp", str(source), "s3://cli-bucket/docs/hello.txt", "--no-progress", check=True)
    listing = hydrant.aws("s3", "ls", "s3://cli-bucket/docs/", check=True).stdout
    assert cli_keys(listing) == ["hello.txt"]
    assert " 23 hello.txt" in listing

    target = tmp_path / "back.txt"
    hydrant.aws("s3", "cp", "s3://cli-bucket/docs/hello.txt", str(target), "--no-progress", check=True)
    assert target.read_bytes() == source.read_bytes()

    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    hydrant.aws("s3", "cp", str(empty), "s3://cli-bucket/empty.bin", "--no-progress", check=True)
    empty_back = tmp_path / "empty-back.bin"
    hydrant.aws("s3", "cp", "s3://cli-bucket/empty.bin", str(empty_back), "--no-progress", check=True)
    assert empty_back.read_bytes() == b""

    rb_full = hydrant.aws("s3", "rb", "s3://cli-bucket")
    assert rb_full.returncode != 0
    assert "BucketNotEmpty" in rb_full.stderr

    hydrant.aws("s3", "rm", "s3://cli-bucket/docs/hello.txt", check=True)
    hydrant.aws("s3", "rm", "s3://cli-bucket/empty.bin", check=True)
    assert cli_keys(hydrant.aws("s3", "ls", "--recursive", "s3://cli-bucket", check=True).stdout) == []
    hydrant.aws("s3", "rb", "s3://cli-bucket", check=True)
    assert "cli-bucket" not in hydrant.aws("s3", "ls", check=True).stdout
    missing = hydrant.aws("s3", "ls", "s3://cli-bucket")
    assert missing.returncode != 0
    assert "NoSuchBucket" in missing.stderr


def test_cli_mb_twice_and_bad_name(hydrant):
    hydrant.aws("s3", "mb", "s3://twice", check=True)
    again = hydrant.aws("s3", "mb", "s3://twice")
    assert again.returncode != 0
    assert "BucketAlreadyOwnedByYou" in again.stderr
    bad = hydrant.aws("s3", "mb", "s3://Bad_Name")
    assert bad.returncode != 0
    assert "InvalidBucketName" in bad.stderr


def test_cli_multipart_upload_and_ranged_download_20mib(hydrant, tmp_path):
    """The CLI switches to multipart above 8 MiB: 8 + 8 + 4 MiB parts, then ranged GETs back."""
    data = os.urandom(20 * MIB)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    hydrant.aws("s3", "mb", "s3://big-bucket", check=True)
    hydrant.aws("s3", "cp", str(source), "s3://big-bucket/nested/big.bin", "--no-progress", check=True)

    head = hydrant.s3().head_object(Bucket="big-bucket", Key="nested/big.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == multipart_etag(data, 8 * MIB)

    target = tmp_path / "big.out"
    hydrant.aws("s3", "cp", "s3://big-bucket/nested/big.bin", str(target), "--no-progress", check=True)
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest()
    listed = hydrant.s3().list_objects_v2(Bucket="big-bucket")["Contents"]
    assert [(o["Key"], o["Size"]) for o in listed] == [("nested/big.bin", len(data))]


def test_cli_ls_recursive_with_nested_prefixes(hydrant):
    s3 = hydrant.s3()
    s3.create_bucket(Bucket="nested")
    keys = ["a/b/c/deep.txt", "a/b/mid.txt", "a/top-of-a.txt", "root.txt", "z/only.txt"]
    for key in keys:
        s3.put_object(Bucket="nested", Key=key, Body=key.encode())

    top = hydrant.aws("s3", "ls", "s3://nested/", check=True).stdout
    assert re.search(r"^\s+PRE a/$", top, re.M)
    assert re.search(r"^\s+PRE z/$", top, re.M)
    assert cli_keys(top) == ["root.txt"]

    inner = hydrant.aws("s3", "ls", "s3://nested/a/b/", check=True).stdout
    assert re.search(r"^\s+PRE c/$", inner, re.M)
    assert cli_keys(inner) == ["mid.txt"]

    everything = hydrant.aws("s3", "ls", "--recursive", "s3://nested", check=True).stdout
    assert cli_keys(everything) == sorted(keys)
    under_a = hydrant.aws("s3", "ls", "--recursive", "s3://nested/a/", check=True).stdout
    assert cli_keys(under_a) == ["a/b/c/deep.txt", "a/b/mid.txt", "a/top-of-a.txt"]


def test_cli_rm_recursive_removes_only_the_prefix(hydrant):
    s3 = hydrant.s3()
    s3.create_bucket(Bucket="rm-bucket")
    for i in range(30):
        s3.put_object(Bucket="rm-bucket", Key=f"logs/2026/{i:02d}.log", Body=b"x")
    s3.put_object(Bucket="rm-bucket", Key="logs-keep.txt", Body=b"keep")
    s3.put_object(Bucket="rm-bucket", Key="other/keep.txt", Body=b"keep")

    result = hydrant.aws("s3", "rm", "--recursive", "s3://rm-bucket/logs/", check=True)
    assert result.stdout.count("delete: s3://rm-bucket/logs/") == 30
    remaining = [o["Key"] for o in s3.list_objects_v2(Bucket="rm-bucket")["Contents"]]
    assert remaining == ["logs-keep.txt", "other/keep.txt"]


def test_cli_sync_both_ways_and_copy_between_keys(hydrant, tmp_path):
    up = tmp_path / "up"
    (up / "sub").mkdir(parents=True)
    files = {"one.txt": b"1", "sub/two.json": b'{"two": 2}', "sub/three.bin": os.urandom(1000)}
    for name, content in files.items():
        (up / name).write_bytes(content)
    hydrant.aws("s3", "mb", "s3://sync-bucket", check=True)
    hydrant.aws("s3", "sync", str(up), "s3://sync-bucket/mirror", "--no-progress", check=True)
    # A second sync finds nothing to do (sizes and times match).
    assert hydrant.aws("s3", "sync", str(up), "s3://sync-bucket/mirror", check=True).stdout.strip() == ""

    down = tmp_path / "down"
    hydrant.aws("s3", "sync", "s3://sync-bucket/mirror", str(down), "--no-progress", check=True)
    for name, content in files.items():
        assert (down / name).read_bytes() == content

    hydrant.aws("s3", "cp", "s3://sync-bucket/mirror/one.txt", "s3://sync-bucket/copies/one.txt", check=True)
    hydrant.aws("s3", "mv", "s3://sync-bucket/mirror/sub/two.json", "s3://sync-bucket/moved.json", check=True)
    s3 = hydrant.s3()
    assert s3.get_object(Bucket="sync-bucket", Key="copies/one.txt")["Body"].read() == b"1"
    moved = s3.get_object(Bucket="sync-bucket", Key="moved.json")
    assert moved["Body"].read() == b'{"two": 2}'
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket="sync-bucket", Key="mirror/sub/two.json")
    assert http_status(excinfo) == 404


# ---- boto3 --------------------------------------------------------------------------------


def test_boto3_object_crud_and_metadata(hydrant):
    s3 = hydrant.s3()
    s3.create_bucket(Bucket="crud")
    put = s3.put_object(Bucket="crud", Key="dir/data.json", Body=b'{"a": 1}', ContentType="application/json",
                        Metadata={"origin": "e2e"}, CacheControl="no-cache")
    assert put["ETag"] == '"' + hashlib.md5(b'{"a": 1}').hexdigest() + '"'

    got = s3.get_object(Bucket="crud", Key="dir/data.json")
    assert got["Body"].read() == b'{"a": 1}'
    assert got["ContentType"] == "application/json"
    assert got["Metadata"] == {"origin": "e2e"}
    assert got["CacheControl"] == "no-cache"
    assert got["ETag"] == put["ETag"]
    assert got["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]

    head = s3.head_object(Bucket="crud", Key="dir/data.json")
    assert head["ContentLength"] == 8
    assert head["LastModified"] == got["LastModified"]

    # If-Match / If-None-Match as s3transfer uses them.
    assert s3.get_object(Bucket="crud", Key="dir/data.json", IfMatch=put["ETag"])["Body"].read()
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket="crud", Key="dir/data.json", IfMatch='"0000"')
    assert http_status(excinfo) == 412

    assert s3.delete_object(Bucket="crud", Key="dir/data.json")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.delete_object(Bucket="crud", Key="dir/data.json")["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket="crud", Key="dir/data.json")
    assert error_code(excinfo) == "NoSuchKey"
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket="crud", Key="dir/data.json")
    assert http_status(excinfo) == 404
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket="no-such-bucket", Key="k", Body=b"x")
    assert error_code(excinfo) == "NoSuchBucket"


def test_boto3_bucket_errors_and_listing(hydrant):
    s3 = hydrant.s3()
    s3.create_bucket(Bucket="b-one")
    s3.create_bucket(Bucket="b-two", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"})
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert names == ["b-one", "b-two"]
    assert s3.get_bucket_location(Bucket="b-two")["LocationConstraint"] == "ap-northeast-2"
    assert s3.get_bucket_location(Bucket="b-one")["LocationConstraint"] is None
    s3.head_bucket(Bucket="b-one")

    with pytest.raises(ClientError) as excinfo:
        s3.create_bucket(Bucket="b-one")
    assert error_code(excinfo) == "BucketAlreadyOwnedByYou"
    assert http_status(excinfo) == 409
    with pytest.raises(ClientError) as excinfo:
        s3.create_bucket(Bucket="Invalid_Bucket")
    assert error_code(excinfo) == "InvalidBucketName"
    s3.put_object(Bucket="b-one", Key="k", Body=b"x")
    with pytest.raises(ClientError) as excinfo:
        s3.delete_bucket(Bucket="b-one")
    assert error_code(excinfo) == "BucketNotEmpty"
    with pytest.raises(ClientError) as excinfo:
        s3.head_bucket(Bucket="missing-bucket")
    assert http_status(excinfo) == 404
    with pytest.raises(ClientError) as excinfo:
        s3.list_objects_v2(Bucket="missing-bucket")
    assert error_code(excinfo) == "NoSuchBucket"


def test_boto3_range_get(hydrant):
    s3 = hydrant.s3()
    s3.create_bucket(Bucket="ranges")
    s3.put_object(Bucket="ranges", Key="digits", Body=b"0123456789")
    part = s3.get_object(Bucket="ranges", Key="digits", Range="bytes=2-5")
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert part["Body"].read() == b"2345"
    assert part["ContentRange"] == "bytes 2-5/10"
    assert s3.get_object(Bucket="ranges", Key="digits", Range="bytes=-3")["Body"].read() == b"789"
    assert s3.get_object(Bucket="ranges", Key="digits", Range="bytes=7-")["Body"].read() == b"789"
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket="ranges", Key="digits", Range="bytes=10-20")
    assert error_code(excinfo) == "InvalidRange"
    assert http_status(excinfo) == 416


def test_boto3_list_pagination_with_max_keys(hydrant):
    s3 = hydrant.s3()
    s3.create_bucket(Bucket="pages")
    keys = [f"item-{i:03d}" for i in range(25)]
    for key in keys:
        s3.put_object(Bucket="pages", Key=key, Body=b"x")

    seen, token, pages = [], None, 0
    while True:
        kwargs = {"Bucket": "pages", "MaxKeys": 10}
        if token:
            kwargs["ContinuationToken"] = token
        page = s3.list_objects_v2(**kwargs)
        pages += 1
        seen += [o["Key"] for o in page["Contents"]]
        assert page["KeyCount"] == len(page["Contents"])
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert pages == 3
    assert seen == keys

    paginated = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(
        Bucket="pages", PaginationConfig={"PageSize": 7}) for o in p["Contents"]]
    assert paginated == keys
    after = s3.list_objects_v2(Bucket="pages", StartAfter="item-020")
    assert [o["Key"] for o in after["Contents"]] == keys[21:]

    # ListObjects v1 with Marker, as older clients page.
    v1 = [o["Key"] for p in s3.get_paginator("list_objects").paginate(
        Bucket="pages", PaginationConfig={"PageSize": 6}) for o in p["Contents"]]
    assert v1 == keys
    first = s3.list_objects(Bucket="pages", MaxKeys=5)
    assert first["IsTruncated"] is True
    second = s3.list_objects(Bucket="pages", MaxKeys=5, Marker=first["Contents"][-1]["Key"])
    assert [o["Key"] for o in second["Contents"]] == keys[5:10]


def test_boto3_delimiter_and_common_prefixes(hydrant):
    s3 = hydrant.s3()
    s3.create_bucket(Bucket="tree")
    for key in ["2026/08/07/10/a.gz", "2026/08/07/11/b.gz", "2026/08/08/00/c.gz", "2027/d.gz", "top.txt"]:
        s3.put_object(Bucket="tree", Key=key, Body=b"x")
    root = s3.list_objects_v2(Bucket="tree", Delimiter="/")
    assert [p["Prefix"] for p in root["CommonPrefixes"]] == ["2026/", "2027/"]
    assert [o["Key"] for o in root["Contents"]] == ["top.txt"]
    days = s3.list_objects_v2(Bucket="tree", Prefix="2026/08/", Delimiter="/")
    assert [p["Prefix"] for p in days["CommonPrefixes"]] == ["2026/08/07/", "2026/08/08/"]
    assert "Contents" not in days
    hours = s3.list_objects_v2(Bucket="tree", Prefix="2026/08/07/", Delimiter="/", MaxKeys=1)
    assert [p["Prefix"] for p in hours["CommonPrefixes"]] == ["2026/08/07/10/"]
    assert hours["IsTruncated"] is True
    rest = s3.list_objects_v2(Bucket="tree", Prefix="2026/08/07/", Delimiter="/",
                              ContinuationToken=hours["NextContinuationToken"])
    assert [p["Prefix"] for p in rest["CommonPrefixes"]] == ["2026/08/07/11/"]
    assert rest["IsTruncated"] is False


def test_boto3_tricky_keys_round_trip(hydrant):
    s3 = hydrant.s3()
    s3.create_bucket(Bucket="tricky")
    keys = ["a", "a/b", "a//b", "folder/", "/leading-slash", "sp ace+plus=eq&amp?q#h", "100%", "%41%2F",
            "한글/데이터.json", "emoji-😀", "dots/./and/../stay", "..%2F..%2Fliteral", "~tilde~", "x" * 1024]
    for i, key in enumerate(keys):
        s3.put_object(Bucket="tricky", Key=key, Body=f"body-{i}".encode())
    for i, key in enumerate(keys):
        assert s3.get_object(Bucket="tricky", Key=key)["Body"].read() == f"body-{i}".encode(), key
    listed = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket="tricky") for o in p["Contents"]]
    assert listed == sorted(keys, key=lambda k: k.encode("utf-8"))
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket="tricky", Key="k" * 1025, Body=b"x")
    assert error_code(excinfo) == "KeyTooLongError"
    for key in keys:
        s3.delete_object(Bucket="tricky", Key=key)
    assert s3.list_objects_v2(Bucket="tricky")["KeyCount"] == 0
    s3.delete_bucket(Bucket="tricky")


def test_boto3_explicit_multipart_upload(hydrant):
    s3 = hydrant.s3()
    s3.create_bucket(Bucket="mpu")
    first, last = os.urandom(5 * MIB), b"tail bytes"
    upload = s3.create_multipart_upload(Bucket="mpu", Key="parts/object.bin", ContentType="application/x-parts")
    upload_id = upload["UploadId"]
    e1 = s3.upload_part(Bucket="mpu", Key="parts/object.bin", UploadId=upload_id, PartNumber=1, Body=first)["ETag"]
    e2 = s3.upload_part(Bucket="mpu", Key="parts/object.bin", UploadId=upload_id, PartNumber=2, Body=last)["ETag"]
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket="mpu", Key="parts/object.bin")
    assert error_code(excinfo) == "NoSuchKey"  # invisible until completed

    with pytest.raises(ClientError) as excinfo:
        s3.complete_multipart_upload(Bucket="mpu", Key="parts/object.bin", UploadId=upload_id,
                                     MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2},
                                                                {"PartNumber": 1, "ETag": e1}]})
    assert error_code(excinfo) == "InvalidPartOrder"
    done = s3.complete_multipart_upload(Bucket="mpu", Key="parts/object.bin", UploadId=upload_id,
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1},
                                                                   {"PartNumber": 2, "ETag": e2}]})
    digests = hashlib.md5(first).digest() + hashlib.md5(last).digest()
    assert done["ETag"] == f'"{hashlib.md5(digests).hexdigest()}-2"'
    got = s3.get_object(Bucket="mpu", Key="parts/object.bin")
    assert got["Body"].read() == first + last
    assert got["ContentType"] == "application/x-parts"

    small = s3.create_multipart_upload(Bucket="mpu", Key="small")["UploadId"]
    s1 = s3.upload_part(Bucket="mpu", Key="small", UploadId=small, PartNumber=1, Body=b"too small")["ETag"]
    s2 = s3.upload_part(Bucket="mpu", Key="small", UploadId=small, PartNumber=2, Body=b"last")["ETag"]
    with pytest.raises(ClientError) as excinfo:
        s3.complete_multipart_upload(Bucket="mpu", Key="small", UploadId=small,
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": s1},
                                                                {"PartNumber": 2, "ETag": s2}]})
    assert error_code(excinfo) == "EntityTooSmall"
    s3.abort_multipart_upload(Bucket="mpu", Key="small", UploadId=small)
    with pytest.raises(ClientError) as excinfo:
        s3.upload_part(Bucket="mpu", Key="small", UploadId=small, PartNumber=3, Body=b"x")
    assert error_code(excinfo) == "NoSuchUpload"


def test_boto3_delete_objects(hydrant):
    s3 = hydrant.s3()
    s3.create_bucket(Bucket="bulk")
    for key in ["a", "b&c", "d<e>", "keep"]:
        s3.put_object(Bucket="bulk", Key=key, Body=b"x")
    result = s3.delete_objects(Bucket="bulk", Delete={"Objects": [{"Key": k} for k in ["a", "b&c", "d<e>", "ghost"]]})
    assert sorted(d["Key"] for d in result["Deleted"]) == ["a", "b&c", "d<e>", "ghost"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="bulk")["Contents"]] == ["keep"]


# ---- Raw HTTP: escape attempts --------------------------------------------------------------


ESCAPES = [
    ("GET", "/victim/..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd", 400, "InvalidArgument"),
    ("GET", "/victim/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", 400, "InvalidArgument"),
    ("PUT", "/victim/..%2F..%2F..%2Fescaped-1", 400, "InvalidArgument"),
    ("PUT", "/victim/a/../../../escaped-2", 400, "InvalidArgument"),
    ("PUT", "/victim/a%2F..%2F..%2F..%2Fescaped-3", 400, "InvalidArgument"),
    ("PUT", "/victim/x%00/../../escaped-4", 400, "InvalidArgument"),
    ("PUT", "/..%2F..%2Fescaped-5/key", 400, "InvalidBucketName"),
    ("PUT", "/../../escaped-6", 400, "InvalidBucketName"),
    ("PUT", "/%2e%2e/escaped-7", 400, "InvalidBucketName"),
    ("POST", "/victim/..%2F..%2Fescaped-8?uploads", 400, "InvalidArgument"),
    ("DELETE", "/victim/..%2F..%2F..%2Fdata", 400, "InvalidArgument"),
]


@pytest.mark.parametrize("method,path,status,code", ESCAPES)
def test_raw_escape_attempts_get_s3_errors(hydrant, method, path, status, code):
    hydrant.s3().create_bucket(Bucket="victim")
    response = hydrant.raw(method, path, body=b"pwned" if method == "PUT" else b"", sign=False)
    assert response.status == status, response
    assert xml_tag(response.body, "Code") == code, response
    assert response.headers.get("content-type") == "application/xml"
    assert b"root:" not in response.body
    assert files_named(hydrant.root.parent.parent, "escaped-") == []


def test_raw_upload_id_cannot_escape(hydrant):
    s3 = hydrant.s3()
    s3.create_bucket(Bucket="victim")
    s3.create_multipart_upload(Bucket="victim", Key="k")
    for upload_id in ["..%2F..%2F..%2F..%2Fescaped-upload", "../../../../escaped-upload"]:
        response = hydrant.raw("PUT", f"/victim/k?partNumber=1&uploadId={upload_id}", body=b"pwned", sign=False)
        assert response.status == 404, response
        assert xml_tag(response.body, "Code") == "NoSuchUpload"
    assert files_named(hydrant.root.parent.parent, "escaped-upload") == []


def test_literal_keys_that_look_like_escapes_stay_inside_the_data_dir(hydrant):
    s3 = hydrant.s3()
    s3.create_bucket(Bucket="victim")
    for key in ["..%2F..%2Flooks-like-escape-1", "%2e%2e/looks-like-escape-2", "/looks-like-escape-3",
                "a/../looks-like-escape-4"]:
        s3.put_object(Bucket="victim", Key=key, Body=b"inside")
        assert s3.get_object(Bucket="victim", Key=key)["Body"].read() == b"inside"
    found = files_named(hydrant.root, "looks-like-escape")
    assert len(found) == 4, found
    data_dir = Path(hydrant.data_dir).resolve()
    for path in found:
        assert data_dir in path.resolve().parents, path


def test_unsupported_operation_answers_not_implemented(hydrant):
    hydrant.s3().create_bucket(Bucket="plain")
    response = hydrant.raw("GET", "/plain?acl", sign=False)
    assert response.status == 501
    assert xml_tag(response.body, "Code") == "NotImplemented"
    assert response.headers.get("x-amz-request-id")
