"""--max-inflight-body-bytes: a request whose body does not fit the server-wide budget for bodies
in memory is refused before its body is read, with each protocol's throttling error as the SDKs
parse it (Firehose ServiceUnavailableException "Slow down.", S3 503 SlowDown, Lambda
TooManyRequestsException), and the connection is closed. Budget given back lets the next request
through.
"""
import socket

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import harness
from conftest import unique_name

BUDGET = 1 << 20  # 1 MiB: any request body above it is always refused


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = harness.Hydrant(tmp_path_factory.mktemp("hydrant"),
                             extra_args=["--max-inflight-body-bytes", str(BUDGET)])
    server.start()
    yield server
    server.kill()


def no_retries(service, server):
    config = Config(connect_timeout=5, read_timeout=30, retries={"total_max_attempts": 1},
                    s3={"addressing_style": "path"})
    return boto3.session.Session().client(
        service, endpoint_url=server.endpoint, region_name=harness.DEFAULT_CLIENT_REGION,
        aws_access_key_id=harness.ACCESS_KEY, aws_secret_access_key=harness.SECRET_KEY, config=config)


def test_firehose_put_over_the_budget_gets_service_unavailable(server):
    bucket, stream = unique_name("b"), unique_name("s")
    server.s3().create_bucket(Bucket=bucket)
    server.create_s3_stream(stream, bucket)
    firehose = server.firehose(max_attempts=1)
    big = [{"Data": b"x" * 3000}] * 500  # ~2 MB of base64 in the body
    with pytest.raises(firehose.exceptions.ServiceUnavailableException) as raised:
        firehose.put_record_batch(DeliveryStreamName=stream, Records=big)
    error = raised.value.response
    assert error["Error"]["Message"] == "Slow down."
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ServiceUnavailableException"
    assert error["ResponseMetadata"]["HTTPHeaders"]["connection"] == "close"
    # Nothing is held back: a request that fits goes through at once.
    ok = firehose.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": b"x" * 3000}] * 100)
    assert ok["FailedPutCount"] == 0


def test_s3_put_over_the_budget_gets_slow_down(server):
    s3 = no_retries("s3", server)
    bucket = unique_name("b")
    s3.create_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket=bucket, Key="big", Body=b"y" * (2 << 20))
    error = raised.value.response
    assert error["Error"]["Code"] == "SlowDown"
    assert error["Error"]["Message"] == "Please reduce your request rate."
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert error["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]
    s3.put_object(Bucket=bucket, Key="small", Body=b"y" * 1000)
    assert s3.get_object(Bucket=bucket, Key="small")["Body"].read() == b"y" * 1000


def test_lambda_invoke_over_the_budget_gets_too_many_requests(server):
    client = no_retries("lambda", server)
    with pytest.raises(client.exceptions.TooManyRequestsException) as raised:
        client.invoke(FunctionName="anything", Payload=b'{"a":"' + b"z" * (2 << 20) + b'"}')
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_chunked_body_is_refused_once_it_outgrows_the_budget(server):
    """Without a Content-Length the body is counted as it arrives."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n"
              b"X-Amz-Target: Firehose_20150804.PutRecordBatch\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"x" * 65536
    answer = b""
    try:
        for _ in range(64):  # 4 MiB, far over the budget
            s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    except OSError:
        pass  # the server closed after answering
    try:
        while True:
            data = s.recv(65536)
            if not data:
                break
            answer += data
    except OSError:
        pass
    s.close()
    assert answer.startswith(b"HTTP/1.1 503"), answer[:300]
    assert b'"__type":"ServiceUnavailableException"' in answer, answer[:500]
