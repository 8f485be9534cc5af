// AWS SDK for JavaScript v3 against a running hydrant: Firehose calls, error classes, S3 read-back.
// Run: HYDRANT_ENDPOINT=http://127.0.0.1:PORT node --test tests/js/firehose_sdk.test.mjs
// (tests/e2e/test_js_sdk.py starts the server and runs this file.) With HYDRANT_AUTH=1 the server
// verifies signatures (its credentials are AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), and the
// last block checks the errors a wrong key or secret gets.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateDeliveryStreamCommand,
  DeleteDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  FirehoseServiceException,
  InvalidArgumentException,
  ListDeliveryStreamsCommand,
  PutRecordBatchCommand,
  PutRecordCommand,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-firehose';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';

const endpoint = process.env.HYDRANT_ENDPOINT;
if (!endpoint) throw new Error('set HYDRANT_ENDPOINT=http://127.0.0.1:PORT');
const credentials = {
  accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'AKIDEXAMPLE',
  secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'secret',
};
const firehose = new FirehoseClient({ endpoint, region: 'ap-northeast-2', credentials });
const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });

const run = `${Date.now().toString(36)}-${process.pid}`;
const stream = `js-sdk-${run}`;
const bucket = `js-sdk-bucket-${run}`;
const prefix = 'js/';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Awaits fn() expecting a rejection; returns the error.
async function rejection(fn) {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  assert.fail('expected the call to fail');
}

function assertClientError(err, name) {
  assert.equal(err.name, name, `error name (message: ${err.message})`);
  assert.ok(err instanceof FirehoseServiceException, `${name} should be a FirehoseServiceException`);
  assert.equal(err.$fault, 'client');
  assert.equal(err.$metadata.httpStatusCode, 400);
  assert.ok(err.$metadata.requestId, 'error responses carry a request id');
  assert.ok(typeof err.message === 'string' && err.message.length > 0, 'error has a message');
}

// Every byte value, so the round trip proves byte-exact delivery of binary data.
const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
const putRecordData = Buffer.from('{"source":"PutRecord","n":1}\n');
const batchData = [
  Buffer.from('{"source":"PutRecordBatch","n":1}\n'),
  allBytes,
  new TextEncoder().encode('한국어 UTF-8 record\n'),
];
const expected = Buffer.concat([putRecordData, ...batchData.map((d) => Buffer.from(d))]);

describe('JS SDK v3 against hydrant', () => {
  before(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  after(() => {
    firehose.destroy();
    s3.destroy();
  });

  it('CreateDeliveryStream returns the ARN and the stream becomes ACTIVE', async () => {
    const created = await firehose.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: stream,
      DeliveryStreamType: 'DirectPut',
      ExtendedS3DestinationConfiguration: {
        RoleARN: 'arn:aws:iam::123456789012:role/firehose-role',
        BucketARN: `arn:aws:s3:::${bucket}`,
        Prefix: prefix,
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 },
      },
    }));
    assert.match(created.DeliveryStreamARN,
      new RegExp(`^arn:aws:firehose:[a-z0-9-]+:\\d{12}:deliverystream/${stream}$`));
    assert.equal(created.$metadata.httpStatusCode, 200);
    assert.ok(created.$metadata.requestId);

    let description;
    for (let i = 0; i < 100; i++) {
      ({ DeliveryStreamDescription: description } =
        await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: stream })));
      if (description.DeliveryStreamStatus === 'ACTIVE') break;
      await sleep(100);
    }
    assert.equal(description.DeliveryStreamStatus, 'ACTIVE');
    assert.equal(description.DeliveryStreamARN, created.DeliveryStreamARN);
    assert.equal(description.VersionId, '1');
    // The SDK only turns epoch-seconds numbers into Dates; an ISO string fails deserialization.
    assert.ok(description.CreateTimestamp instanceof Date, 'CreateTimestamp is parsed to a Date');
    assert.ok(Math.abs(description.CreateTimestamp.getTime() - Date.now()) < 10 * 60 * 1000);
    const destination = description.Destinations[0];
    assert.equal(destination.DestinationId, 'destinationId-000000000001');
    assert.equal(destination.ExtendedS3DestinationDescription.BucketARN, `arn:aws:s3:::${bucket}`);
    assert.deepEqual(destination.ExtendedS3DestinationDescription.BufferingHints,
      { SizeInMBs: 1, IntervalInSeconds: 1 });

    const listed = await firehose.send(new ListDeliveryStreamsCommand({}));
    assert.ok(listed.DeliveryStreamNames.includes(stream));
    assert.equal(typeof listed.HasMoreDeliveryStreams, 'boolean');
  });

  it('PutRecord with a Buffer returns a RecordId and a request id', async () => {
    const out = await firehose.send(new PutRecordCommand({
      DeliveryStreamName: stream, Record: { Data: putRecordData },
    }));
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.ok(out.$metadata.requestId, '$metadata.requestId is present');
    assert.equal(typeof out.RecordId, 'string');
    assert.ok(out.RecordId.length > 0);
  });

  it('PutRecordBatch with Buffer/Uint8Array data succeeds for every record', async () => {
    const out = await firehose.send(new PutRecordBatchCommand({
      DeliveryStreamName: stream, Records: batchData.map((Data) => ({ Data })),
    }));
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.ok(out.$metadata.requestId);
    assert.equal(out.FailedPutCount, 0);
    assert.equal(out.RequestResponses.length, batchData.length);
    const ids = out.RequestResponses.map((r) => r.RecordId);
    for (const id of ids) assert.ok(typeof id === 'string' && id.length > 0);
    assert.equal(new Set(ids).size, ids.length, 'record ids are distinct');
  });

  it('unknown stream → ResourceNotFoundException', async () => {
    const err = await rejection(() => firehose.send(new PutRecordCommand({
      DeliveryStreamName: `missing-${run}`, Record: { Data: Buffer.from('x') },
    })));
    assert.ok(err instanceof ResourceNotFoundException, `got ${err.name}: ${err.message}`);
    assertClientError(err, 'ResourceNotFoundException');
    assert.match(err.message, /not found/);
  });

  it('batch over 4 MiB → InvalidArgumentException', async () => {
    const big = Buffer.alloc(1_000_000, 0x61);
    const err = await rejection(() => firehose.send(new PutRecordBatchCommand({
      DeliveryStreamName: stream, Records: Array.from({ length: 5 }, () => ({ Data: big })),
    })));
    assert.ok(err instanceof InvalidArgumentException, `got ${err.name}: ${err.message}`);
    assertClientError(err, 'InvalidArgumentException');
  });

  it('duplicate CreateDeliveryStream → ResourceInUseException', async () => {
    const err = await rejection(() => firehose.send(new CreateDeliveryStreamCommand({
      DeliveryStreamName: stream,
      ExtendedS3DestinationConfiguration: {
        RoleARN: 'arn:aws:iam::123456789012:role/firehose-role',
        BucketARN: `arn:aws:s3:::${bucket}`,
      },
    })));
    assert.ok(err instanceof ResourceInUseException, `got ${err.name}: ${err.message}`);
    assertClientError(err, 'ResourceInUseException');
    assert.match(err.message, /already exists/);
  });

  it('bad stream name → ValidationException (a modelled-less error name)', async () => {
    const err = await rejection(() => firehose.send(new DescribeDeliveryStreamCommand({
      DeliveryStreamName: 'bad name!',
    })));
    assertClientError(err, 'ValidationException');
    assert.match(err.message, /deliveryStreamName/);
  });

  it('the delivered objects hold the records byte for byte', async () => {
    let objects = [];
    let total = 0;
    for (let i = 0; i < 150 && total < expected.length; i++) {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      objects = listed.Contents ?? [];
      total = objects.reduce((sum, o) => sum + o.Size, 0);
      if (total < expected.length) await sleep(100);
    }
    assert.equal(total, expected.length, 'delivered bytes');
    const keyPattern = new RegExp(
      `^${prefix}\\d{4}/\\d{2}/\\d{2}/\\d{2}/${stream}-1-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-` +
      '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$');
    const bodies = [];
    for (const object of objects) {
      assert.match(object.Key, keyPattern);
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
      bodies.push(Buffer.from(await got.Body.transformToByteArray()));
    }
    // Objects hold consecutive runs of records; put them back in record order and compare.
    bodies.sort((a, b) => expected.indexOf(a) - expected.indexOf(b));
    assert.ok(Buffer.concat(bodies).equals(expected), 'object bytes equal the records concatenated');
  });

  it('DeleteDeliveryStream, then the stream is gone', async () => {
    await firehose.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: stream }));
    let err;
    for (let i = 0; i < 100; i++) {
      try {
        await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: stream }));
      } catch (e) {
        err = e;
        break;
      }
      await sleep(100);
    }
    assert.ok(err instanceof ResourceNotFoundException, `got ${err && err.name}`);
  });
});

describe('signatures (HYDRANT_AUTH=1)', { skip: process.env.HYDRANT_AUTH !== '1' }, () => {
  const wrongSecret = { ...credentials, secretAccessKey: `${credentials.secretAccessKey}-not` };
  const unknownKey = { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'x' };

  it('a wrong secret → InvalidSignatureException (Firehose) and SignatureDoesNotMatch (S3)', async () => {
    const badFirehose = new FirehoseClient({ endpoint, region: 'ap-northeast-2', credentials: wrongSecret, maxAttempts: 1 });
    const err = await rejection(() => badFirehose.send(new ListDeliveryStreamsCommand({})));
    assert.equal(err.name, 'InvalidSignatureException', err.message);
    assert.ok(err instanceof FirehoseServiceException);
    assert.equal(err.$metadata.httpStatusCode, 400);
    const badS3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: wrongSecret, maxAttempts: 1 });
    const s3err = await rejection(() => badS3.send(new ListObjectsV2Command({ Bucket: 'any' })));
    assert.equal(s3err.name, 'SignatureDoesNotMatch', s3err.message);
    assert.equal(s3err.$metadata.httpStatusCode, 403);
  });

  it('an unknown key → UnrecognizedClientException (Firehose) and InvalidAccessKeyId (S3)', async () => {
    const badFirehose = new FirehoseClient({ endpoint, region: 'ap-northeast-2', credentials: unknownKey, maxAttempts: 1 });
    const err = await rejection(() => badFirehose.send(new ListDeliveryStreamsCommand({})));
    assert.equal(err.name, 'UnrecognizedClientException', err.message);
    assert.equal(err.message, 'The security token included in the request is invalid.');
    const badS3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: unknownKey, maxAttempts: 1 });
    const s3err = await rejection(() => badS3.send(new ListObjectsV2Command({ Bucket: 'any' })));
    assert.equal(s3err.name, 'InvalidAccessKeyId', s3err.message);
  });
});
