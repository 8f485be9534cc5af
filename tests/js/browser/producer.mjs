// The front-end tracking case: a web page sends events straight to Hydrant with the AWS SDK for
// JavaScript v3. Bundled for the browser by esbuild (tests/e2e/test_cors.py); the page calls
// window.hydrant.* and gets {ok, ...} or {ok: false, name, message}.
import {
  DeleteDeliveryStreamCommand,
  FirehoseClient,
  PutRecordBatchCommand,
  PutRecordCommand,
} from '@aws-sdk/client-firehose';

function client(endpoint, credentials) {
  return new FirehoseClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
}

async function attempt(fn) {
  try {
    return { ok: true, ...(await fn()) };
  } catch (err) {
    return { ok: false, name: err.name, message: err.message, status: err.$metadata?.httpStatusCode ?? null };
  }
}

window.hydrant = {
  put: (endpoint, credentials, stream, text) =>
    attempt(async () => {
      const out = await client(endpoint, credentials).send(
        new PutRecordCommand({ DeliveryStreamName: stream, Record: { Data: new TextEncoder().encode(text) } }));
      return { recordId: out.RecordId };
    }),
  putBatch: (endpoint, credentials, stream, texts) =>
    attempt(async () => {
      const out = await client(endpoint, credentials).send(new PutRecordBatchCommand({
        DeliveryStreamName: stream,
        Records: texts.map((t) => ({ Data: new TextEncoder().encode(t) })),
      }));
      return { failed: out.FailedPutCount };
    }),
  deleteStream: (endpoint, credentials, stream) =>
    attempt(async () => {
      await client(endpoint, credentials).send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: stream }));
      return {};
    }),
};
document.getElementById('status').textContent = 'ready';
