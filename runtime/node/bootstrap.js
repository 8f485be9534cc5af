// Hydrant's Node.js runtime: a Lambda Runtime API client (no dependencies).
//
// Started by Hydrant's WorkerPool with AWS_LAMBDA_RUNTIME_API, _HANDLER ("module.function"),
// LAMBDA_TASK_ROOT and the AWS_LAMBDA_* variables set, as on AWS. Loads the handler (CommonJS
// .js/.cjs or ES module .mjs), then loops: GET invocation/next, call handler(event, context[,
// callback]) (async, promise or callback style), POST the result to .../response or the error to
// .../error. Load failures go to /runtime/init/error and the process exits. Exits quietly when
// the Runtime API goes away (the server stopped).
'use strict';

const http = require('http');
const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');

const [HOST, PORT] = (() => {
  const address = process.env.AWS_LAMBDA_RUNTIME_API;
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon), Number(address.slice(colon + 1))];
})();
const PREFIX = '/2018-06-01/runtime';
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(method, urlPath, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port: PORT, method, path: PREFIX + urlPath, agent,
                               headers: headers || {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
                                    body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function errorDocument(err) {
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    errorType: e.name || 'Error',
    errorMessage: e.message,
    stackTrace: (e.stack || '').split('\n').slice(1).map((l) => l.trim()),
  };
}

function postJson(urlPath, doc, errorType) {
  const headers = { 'Content-Type': 'application/json' };
  if (errorType) headers['Lambda-Runtime-Function-Error-Type'] = errorType;
  return request('POST', urlPath, JSON.stringify(doc), headers);
}

async function loadHandler() {
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const spec = process.env._HANDLER || '';
  const dot = spec.lastIndexOf('.');
  if (dot <= 0) throw Object.assign(new Error(`Bad handler ${spec}`), { name: 'Runtime.MalformedHandlerName' });
  const modulePath = spec.slice(0, dot);
  const fnName = spec.slice(dot + 1);
  const base = path.resolve(root, modulePath);
  let mod;
  if (fs.existsSync(base + '.mjs')) {
    mod = await import(pathToFileURL(base + '.mjs').href);
  } else if (fs.existsSync(base + '.cjs')) {
    mod = require(base + '.cjs');
  } else if (fs.existsSync(base + '.js')) {
    try {
      mod = require(base + '.js');
    } catch (e) {
      if (e.code !== 'ERR_REQUIRE_ESM') throw e;
      mod = await import(pathToFileURL(base + '.js').href);
    }
  } else {
    throw Object.assign(new Error(`Cannot find module '${modulePath}'`), { name: 'Runtime.ImportModuleError' });
  }
  const fn = mod[fnName] || (mod.default && mod.default[fnName]);
  if (typeof fn !== 'function') {
    throw Object.assign(new Error(`${spec} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  }
  return fn;
}

function makeContext(headers) {
  const deadline = Number(headers['lambda-runtime-deadline-ms'] || 0);
  return {
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION || '$LATEST',
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

function runHandler(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, result) => {
      if (settled) return;
      settled = true;
      if (err) reject(err); else resolve(result);
    };
    context.done = callback;
    context.succeed = (r) => callback(null, r);
    context.fail = (e) => callback(e);
    try {
      const out = handler(event, context, callback);
      if (out && typeof out.then === 'function') {
        out.then((r) => callback(null, r), (e) => callback(e));
      } else if (handler.length < 3) {
        callback(null, out);
      }
    } catch (e) {
      callback(e);
    }
  });
}

async function main() {
  let handler;
  try {
    handler = await loadHandler();
  } catch (e) {
    const doc = errorDocument(e);
    try { await postJson('/init/error', doc, doc.errorType); } finally { process.exit(1); }
  }
  for (;;) {
    let next;
    try {
      next = await request('GET', '/invocation/next');
    } catch (e) {
      process.exit(0);  // the server went away
    }
    if (next.status !== 200) process.exit(0);
    const context = makeContext(next.headers);
    const id = context.awsRequestId;
    process.env._X_AMZN_TRACE_ID = next.headers['lambda-runtime-trace-id'] || '';
    try {
      const event = next.body.length ? JSON.parse(next.body.toString('utf8')) : null;
      const result = await runHandler(handler, event, context);
      const body = result === undefined ? 'null' : JSON.stringify(result);
      await request('POST', `/invocation/${id}/response`, body, { 'Content-Type': 'application/json' });
    } catch (e) {
      if (e && e.code === 'ECONNREFUSED') process.exit(0);
      console.error(e);
      try { await postJson(`/invocation/${id}/error`, errorDocument(e), 'Unhandled'); } catch (_) { process.exit(0); }
    }
  }
}

main();
