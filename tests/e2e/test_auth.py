"""Signature verification with real clients (boto3, the aws CLI; the JS SDK in test_js_sdk.py).

With credentials in the config, every Firehose, S3 and Lambda request must be signed (SigV4)
with one of them; each protocol answers a bad one with its own error, as AWS does.
"""
import datetime
import json
import time
import urllib.error
import urllib.request
from unittest import mock

import boto3
import botocore.auth
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import unique_name
from harness import ACCESS_KEY, SECRET_KEY, DEFAULT_CLIENT_REGION, wait_for

OTHER_KEY, OTHER_SECRET, OTHER_TOKEN = "AKIAOTHERKEY00000000", "other/secret+key", "session-token-1"
# A web page's key: it may only put records into one stream (the tutorial's front-end case), and
# read one bucket's reports/ folder from loopback.
WEB_KEY, WEB_SECRET, WEB_STREAM, WEB_BUCKET = "AKIAWEBPRODUCER00000", "web-secret", "web-clicks", "web-bucket"
WEB_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"],
         "Resource": f"arn:aws:firehose:*:123456789012:deliverystream/{WEB_STREAM}"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{WEB_BUCKET}/reports/*",
         "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{WEB_BUCKET}",
         "Condition": {"StringLike": {"s3:prefix": "reports/*"}}},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{WEB_BUCKET}/reports/secret*"},
    ],
}


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    """One server whose credentials come from a credentials file named in its config."""
    from conftest import HydrantFactory
    root = tmp_path_factory.mktemp("auth")
    (root / "credentials.yaml").write_text(json.dumps({"credentials": [
        {"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY},
        {"access_key_id": OTHER_KEY, "secret_access_key": OTHER_SECRET, "session_token": OTHER_TOKEN},
        {"access_key_id": WEB_KEY, "secret_access_key": WEB_SECRET, "user": "web-page", "policy": WEB_POLICY},
    ]}))
    (root / "hydrant.yaml").write_text(f"credentials_file: {root / 'credentials.yaml'}\nrequire_auth: true\n")
    factory = HydrantFactory(tmp_path_factory)
    try:
        yield factory(config_file=root / "hydrant.yaml")
    finally:
        factory.close()


def client(server, service, key=ACCESS_KEY, secret=SECRET_KEY, token=None, region=DEFAULT_CLIENT_REGION):
    config = Config(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"})
    return boto3.session.Session().client(
        service, endpoint_url=server.endpoint, region_name=region, aws_access_key_id=key,
        aws_secret_access_key=secret, aws_session_token=token, config=config)


def error_of(call):
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response


def test_signed_requests_work_on_every_protocol(secured, tmp_path):
    bucket, name = unique_name("b"), unique_name("st")
    secured.s3().create_bucket(Bucket=bucket)
    secured.create_s3_stream(name, bucket, interval_s=1)
    records = [{"Data": f'{{"n":{i}}}\n'.encode()} for i in range(500)]
    assert secured.firehose().put_record_batch(DeliveryStreamName=name, Records=records)["FailedPutCount"] == 0
    objects = secured.wait_objects(bucket, total_bytes=sum(len(r["Data"]) for r in records))
    assert b"".join(objects[key] for key in sorted(objects)) == b"".join(r["Data"] for r in records)
    # The session-token key works with its token.
    other = client(secured, "firehose", OTHER_KEY, OTHER_SECRET, OTHER_TOKEN)
    assert name in other.list_delivery_streams()["DeliveryStreamNames"]
    assert client(secured, "lambda", region="us-east-1").list_functions()["Functions"] == []
    # The aws CLI: Firehose, and a 20 MiB upload (multipart, chunked and checksummed) and download.
    listed = secured.aws("firehose", "list-delivery-streams", check=True)
    assert name in json.loads(listed.stdout)["DeliveryStreamNames"]
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * (80 * 1024))
    secured.aws("s3", "cp", str(big), f"s3://{bucket}/big.bin", check=True, region="us-east-1")
    secured.aws("s3", "cp", f"s3://{bucket}/big.bin", str(tmp_path / "back.bin"), check=True, region="us-east-1")
    assert (tmp_path / "back.bin").read_bytes() == big.read_bytes()
    # /health and /metrics stay open for load balancers and scrapers.
    assert urllib.request.urlopen(secured.endpoint + "/health").status == 200
    assert b"firehose_incoming_records_total" in urllib.request.urlopen(secured.endpoint + "/metrics").read()


def test_a_wrong_secret_gets_each_protocols_signature_error(secured):
    err = error_of(lambda: client(secured, "firehose", secret="wrong").list_delivery_streams())
    assert err["Error"]["Code"] == "InvalidSignatureException"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["Error"]["Message"].startswith(
        "The request signature we calculated does not match the signature you provided.")
    assert "The Canonical String for this request should have been\n'POST\n/\n" in err["Error"]["Message"]

    err = error_of(lambda: client(secured, "s3", secret="wrong", region="us-east-1").list_buckets())
    assert err["Error"]["Code"] == "SignatureDoesNotMatch"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert err["Error"]["StringToSign"].startswith("AWS4-HMAC-SHA256\n")
    assert err["Error"]["AWSAccessKeyId"] == ACCESS_KEY
    assert err["Error"]["CanonicalRequest"].startswith("GET\n/\n")

    err = error_of(lambda: client(secured, "lambda", secret="wrong", region="us-east-1").list_functions())
    assert err["Error"]["Code"] == "InvalidSignatureException"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_an_unknown_key_or_token_is_unrecognised(secured):
    err = error_of(lambda: client(secured, "firehose", key="AKIANOSUCHKEY0000000").list_delivery_streams())
    assert (err["Error"]["Code"], err["Error"]["Message"]) == (
        "UnrecognizedClientException", "The security token included in the request is invalid.")
    err = error_of(lambda: client(secured, "s3", key="AKIANOSUCHKEY0000000", region="us-east-1").list_buckets())
    assert err["Error"]["Code"] == "InvalidAccessKeyId"
    assert err["Error"]["AWSAccessKeyId"] == "AKIANOSUCHKEY0000000"
    err = error_of(lambda: client(secured, "lambda", key="AKIANOSUCHKEY0000000", region="us-east-1").list_functions())
    assert err["Error"]["Code"] == "UnrecognizedClientException"
    # The key with a session token, without it or with another one.
    for token in (None, "session-token-2"):
        err = error_of(lambda: client(secured, "firehose", OTHER_KEY, OTHER_SECRET, token).list_delivery_streams())
        assert err["Error"]["Code"] == "UnrecognizedClientException"


def test_a_stale_clock_is_refused(secured):
    skewed = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=20)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=skewed):
        err = error_of(lambda: client(secured, "firehose").list_delivery_streams())
        assert err["Error"]["Code"] == "InvalidSignatureException"
        assert err["Error"]["Message"].startswith("Signature expired: " + skewed.strftime("%Y%m%dT%H%M%SZ"))
        assert err["Error"]["Message"].endswith(" - 15 min.)")
        err = error_of(lambda: client(secured, "s3", region="us-east-1").list_buckets())
        assert err["Error"]["Code"] == "RequestTimeTooSkewed"
        assert err["Error"]["MaxAllowedSkewMilliseconds"] == "900000"
    # Ten minutes off is within the 15 allowed.
    close = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + datetime.timedelta(minutes=10)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=close):
        client(secured, "firehose").list_delivery_streams()


def test_unsigned_requests_are_refused(secured):
    response = secured.raw(target="ListDeliveryStreams", body={}, sign=False)
    assert response.status == 403
    assert response.json()["__type"] == "MissingAuthenticationTokenException"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(secured.endpoint + "/")
    assert info.value.code == 403
    assert b"<Code>AccessDenied</Code>" in info.value.read()
    # Signed for another service than the protocol's.
    response = secured.raw(target="ListDeliveryStreams", body={}, service="s3")
    assert response.status == 400
    assert response.json()["message"] == "Credential should be scoped to correct service: 'firehose'. "


@pytest.mark.parametrize("maker", ["aws s3 presign", "boto3 SigV4"])
def test_presigned_urls_work_until_they_expire(secured, maker):
    bucket = unique_name("b")
    s3 = secured.s3()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="report.json", Body=b'{"ok":true}')
    if maker == "aws s3 presign":  # the aws CLI v1 signs these with Signature Version 2
        url = secured.aws("s3", "presign", f"s3://{bucket}/report.json", "--expires-in", "3", check=True,
                          region="us-east-1").stdout.strip()
        assert "Signature=" in url and "Expires=" in url
    else:
        v4 = boto3.session.Session().client(
            "s3", endpoint_url=secured.endpoint, region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
        url = v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "report.json"},
                                        ExpiresIn=3)
        assert "X-Amz-Signature=" in url
    assert urllib.request.urlopen(url).read() == b'{"ok":true}'
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url.replace("report.json", "other.json"))
    assert info.value.code == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in info.value.read()
    time.sleep(4.5)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url)
    assert info.value.code == 403
    body = info.value.read()
    assert b"<Code>AccessDenied</Code>" in body and b"<Message>Request has expired</Message>" in body


def test_a_policy_allows_only_what_it_names(secured):
    secured.s3().create_bucket(Bucket=WEB_BUCKET)
    for key in ("reports/daily.json", "reports/secret.json", "private/x"):
        secured.s3().put_object(Bucket=WEB_BUCKET, Key=key, Body=key.encode())
    secured.create_s3_stream(WEB_STREAM, WEB_BUCKET, prefix="clicks/")
    web = client(secured, "firehose", WEB_KEY, WEB_SECRET)
    assert web.put_record(DeliveryStreamName=WEB_STREAM, Record={"Data": b"click\n"})["RecordId"]
    assert web.put_record_batch(DeliveryStreamName=WEB_STREAM, Records=[{"Data": b"c\n"}])["FailedPutCount"] == 0

    def denied(call, action, resource):
        err = error_of(call)
        assert err["Error"]["Code"] == "AccessDeniedException", err
        assert err["Error"]["Message"] == (
            f"User: arn:aws:iam::123456789012:user/web-page is not authorized to perform: {action} on resource: "
            f"{resource} because no identity-based policy allows the {action} action")
        return err

    other_stream = unique_name("st")
    secured.create_s3_stream(other_stream, WEB_BUCKET)
    err = denied(lambda: web.put_record(DeliveryStreamName=other_stream, Record={"Data": b"x"}),
                 "firehose:PutRecord", f"arn:aws:firehose:us-east-1:123456789012:deliverystream/{other_stream}")
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    denied(lambda: web.delete_delivery_stream(DeliveryStreamName=WEB_STREAM), "firehose:DeleteDeliveryStream",
           f"arn:aws:firehose:us-east-1:123456789012:deliverystream/{WEB_STREAM}")
    denied(lambda: web.list_delivery_streams(), "firehose:ListDeliveryStreams", "*")
    assert WEB_STREAM in secured.firehose().list_delivery_streams()["DeliveryStreamNames"]  # still there

    s3 = client(secured, "s3", WEB_KEY, WEB_SECRET, region="us-east-1")
    assert s3.get_object(Bucket=WEB_BUCKET, Key="reports/daily.json")["Body"].read() == b"reports/daily.json"
    listed = s3.list_objects_v2(Bucket=WEB_BUCKET, Prefix="reports/")
    assert [o["Key"] for o in listed["Contents"]] == ["reports/daily.json", "reports/secret.json"]
    for call in (lambda: s3.get_object(Bucket=WEB_BUCKET, Key="private/x"),
                 lambda: s3.list_objects_v2(Bucket=WEB_BUCKET),
                 lambda: s3.put_object(Bucket=WEB_BUCKET, Key="reports/new", Body=b"x"),
                 lambda: s3.list_buckets()):
        err = error_of(call)
        assert err["Error"]["Code"] == "AccessDenied"
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 403
    err = error_of(lambda: s3.get_object(Bucket=WEB_BUCKET, Key="reports/secret.json"))
    assert err["Error"]["Message"].endswith("with an explicit deny in an identity-based policy")
    # Per key in a multi-object delete.
    result = secured.s3().delete_objects(Bucket=WEB_BUCKET, Delete={"Objects": [{"Key": "private/x"}]})
    assert [d["Key"] for d in result["Deleted"]] == ["private/x"]
    result = s3.delete_objects(Bucket=WEB_BUCKET, Delete={"Objects": [{"Key": "reports/daily.json"}]})
    assert [(e["Key"], e["Code"]) for e in result["Errors"]] == [("reports/daily.json", "AccessDenied")]

    lam = client(secured, "lambda", WEB_KEY, WEB_SECRET, region="us-east-1")
    err = error_of(lambda: lam.list_functions())
    assert err["Error"]["Code"] == "AccessDeniedException"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_the_glue_catalog_is_signed_and_governed_by_policies(secured):
    glue = client(secured, "glue")
    db = unique_name("db").replace("-", "_")
    glue.create_database(DatabaseInput={"Name": db})
    assert glue.get_database(Name=db)["Database"]["Name"] == db
    err = error_of(lambda: client(secured, "glue", ACCESS_KEY, "wrong").get_database(Name=db))
    assert err["Error"]["Code"] == "InvalidSignatureException"
    err = error_of(lambda: client(secured, "glue", WEB_KEY, WEB_SECRET).get_database(Name=db))
    assert err["Error"]["Code"] == "AccessDeniedException"
    assert err["Error"]["Message"] == (
        f"User: arn:aws:iam::123456789012:user/web-page is not authorized to perform: glue:GetDatabase on resource: "
        f"arn:aws:glue:us-east-1:123456789012:database/{db} because no identity-based policy allows the "
        "glue:GetDatabase action")


def test_without_credentials_requests_are_open_and_the_log_says_so(hydrant):
    assert "requests are not authenticated" in hydrant.log_text()
    hydrant.firehose().list_delivery_streams()


def test_require_auth_without_credentials_refuses_to_start(hydrant_factory):
    from harness import ServerStartError
    with pytest.raises(ServerStartError) as info:
        hydrant_factory(extra_args=["--require-auth"])
    assert "--require-auth is set but no credentials are configured" in str(info.value)
