// Hydrant console: a small single-page app over the service's own APIs (Firehose JSON 1.1, S3
// XML, Lambda REST-JSON) and the console's JSON endpoints under /console/api/. It is embedded in
// the server binary and must work air-gapped: no framework, no build step, graphs are hand-made SVG.
'use strict';

const REFRESH_MS = 10_000;  // the server keeps history at 10 s resolution: faster shows nothing new
const HOUR_MS = 3_600_000;
const GRAPHS = [  // [history field, title, unit]
  ['incoming_records', 'Incoming records/s', 'count'],
  ['incoming_bytes', 'Incoming bytes/s', 'bytes'],
  ['delivered_records', 'Delivered records/s', 'count'],
  ['delivered_bytes', 'Delivered bytes/s', 'bytes'],
  ['throttled_records', 'Throttled records/s', 'count'],
  ['failed_records', 'Failed records/s', 'count'],
  ['freshness_seconds', 'Data freshness (oldest undelivered)', 'seconds'],
  ['backlog_bytes', 'Backlog', 'bytes'],
];
const CREATE_TEMPLATE = {
  DeliveryStreamName: 'my-stream',
  DeliveryStreamType: 'DirectPut',
  ExtendedS3DestinationConfiguration: {
    RoleARN: 'arn:aws:iam::123456789012:role/firehose-role',
    BucketARN: 'arn:aws:s3:::my-bucket',
    Prefix: 'data/',
    BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 },
  },
};

const $ = (selector, root = document) => root.querySelector(selector);
const view = () => $('#view');
// Everything the APIs return is data, never markup: every interpolation goes through esc().
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const enc = encodeURIComponent;
const encKey = (key) => key.split('/').map(enc).join('/');  // S3 keys keep their slashes

// ---- formatting -------------------------------------------------------------------------------

function fmtNum(v) {
  if (v == null || Number.isNaN(Number(v))) return '—';
  const n = Number(v);
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: Math.abs(n) < 10 ? 2 : 1 });
}
function fmtBytes(v) {
  if (v == null) return '—';
  let n = Number(v), unit = 0;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  while (Math.abs(n) >= 1024 && unit < units.length - 1) { n /= 1024; unit++; }
  return `${unit ? n.toFixed(n < 10 ? 2 : 1) : fmtNum(n)} ${units[unit]}`;
}
const fmtUnit = (v, unit) => unit === 'bytes' ? fmtBytes(v) : unit === 'seconds' ? `${fmtNum(v)} s` : fmtNum(v);
function fmtTime(v) {  // ms since the epoch, or an ISO string (S3, Lambda); shown in UTC like the logs
  if (v == null || v === '') return '—';
  const d = new Date(typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v);
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
const fmtBuffering = (b) => b ? `${fmtNum(b.size_mb)} MiB / ${fmtNum(b.interval_seconds)} s` : '—';

// ---- API calls --------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, type, message) {
    super(type ? `${type}: ${message}` : message);
    Object.assign(this, { status, type });
  }
}

function parseXml(text) {
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  return doc.getElementsByTagName('parsererror').length ? null : doc;
}

// One request with the session cookie; answers the body text, or throws the API's own error
// (Firehose/Lambda JSON "__type"/"message", S3 XML <Code>/<Message>, console JSON "message").
async function call(path, init = {}) {
  let response;
  try {
    response = await fetch(path, { credentials: 'same-origin', ...init });
  } catch (e) {
    throw new ApiError(0, '', `Cannot reach the server (${e.message})`);
  }
  const text = await response.text();
  if (response.ok) return text;
  let type = (response.headers.get('x-amzn-ErrorType') || '').split(':')[0];
  let message = text || `HTTP ${response.status} ${response.statusText}`;
  try {
    const body = JSON.parse(text);
    type = String(body.__type || body.Type || type).split('#').pop();
    message = body.message ?? body.Message ?? message;
  } catch {
    const xml = parseXml(text);
    const code = xml?.getElementsByTagName('Code')[0];
    if (code) {
      type = code.textContent;
      message = xml.getElementsByTagName('Message')[0]?.textContent ?? '';
    }
  }
  const error = new ApiError(response.status, type, message);
  if (response.status === 401 && session?.auth_required) signedOut(error);
  throw error;
}

const consoleApi = async (path, init) => JSON.parse(await call(`/console/api/${path}`, init));
const postJson = (body, method = 'POST') => ({ method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

async function firehose(operation, body) {
  const text = await call('/', {
    method: 'POST',
    headers: { 'X-Amz-Target': `Firehose_20150804.${operation}`, 'Content-Type': 'application/x-amz-json-1.1' },
    body: JSON.stringify(body),
  });
  return text ? JSON.parse(text) : {};
}

async function s3(path) {
  const xml = parseXml(await call(path));
  if (!xml) throw new ApiError(0, '', `Unreadable S3 answer for ${path}`);
  return xml;
}
const xmlText = (node, tag) => node.getElementsByTagName(tag)[0]?.textContent ?? '';

// UTF-8 text to base64 (btoa alone only takes Latin-1).
const base64 = (text) => btoa(Array.from(new TextEncoder().encode(text), (b) => String.fromCharCode(b)).join(''));

// ---- messages, session, routing ---------------------------------------------------------------

// source 'refresh' marks a message a later successful refresh may take back.
function showMessage(what, kind = 'error', source = 'action') {
  const box = $('#message');
  box.textContent = what instanceof Error ? what.message : String(what);
  box.className = kind;
  Object.assign(box.dataset, { kind, source });
  box.hidden = false;
}
function clearMessage() {
  const box = $('#message');
  box.hidden = true;
  box.textContent = '';
  box.className = '';
  delete box.dataset.kind;
  delete box.dataset.source;
}

let session = null;   // GET /console/api/session
let flash = null;     // a message to show after the next navigation (e.g. "created")
let generation = 0;   // bumped on every navigation: late answers for an old page are dropped
let timer = null;

function renderWho() {
  const signedIn = session?.auth_required && session.signed_in;
  $('#whoami').textContent = signedIn ? `Signed in as ${session.access_key_id}` : '';
  $('#signout').hidden = !signedIn;
  $('#nav').hidden = Boolean(session?.auth_required && !session.signed_in);
}

function signedOut(error) {
  session = { ...session, signed_in: false, access_key_id: null };
  flash = [error?.message || 'Please sign in', 'error'];
  renderWho();
  route();
}

function renderSignIn() {
  view().innerHTML = `
    <h1>Sign in</h1>
    <p class="hint">This server requires credentials. The console acts with the access key's policy.</p>
    <form id="signin-form" class="card">
      <label>Access key ID <input id="signin-key" name="access_key_id" autocomplete="username" required></label>
      <label>Secret access key <input id="signin-secret" name="secret_access_key" type="password" autocomplete="current-password" required></label>
      <button id="signin-submit" type="submit">Sign in</button>
    </form>`;
  $('#signin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { access_key_id: $('#signin-key').value.trim(), secret_access_key: $('#signin-secret').value };
    try {
      const answer = await consoleApi('session', postJson(body));
      session = { ...session, signed_in: true, access_key_id: answer.access_key_id ?? body.access_key_id };
      renderWho();
      route();
    } catch (e) {
      showMessage(`Sign-in refused: ${e.message}`);
    }
  });
  document.body.dataset.loaded = 'signin';
}

async function signOut() {
  try { await call('/console/api/session', { method: 'DELETE' }); } catch (e) { showMessage(e); return; }
  session = { ...session, signed_in: false, access_key_id: null };
  flash = ['Signed out', 'info'];
  renderWho();
  route();
}

function parseHash() {
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query || '') };
}

// Runs fn every ms while the page it belongs to is still shown; errors show and polling goes on.
function repeat(live, fn, ms = REFRESH_MS) {
  timer = setTimeout(async () => {
    if (!live()) return;
    try { await fn(); } catch (e) { if (live()) showMessage(e, 'error', 'refresh'); }
    if (live()) repeat(live, fn, ms);
  }, ms);
}

async function route() {
  clearTimeout(timer);
  const gen = ++generation;
  const live = () => gen === generation;
  delete document.body.dataset.loaded;
  clearMessage();
  if (flash) { showMessage(...flash); flash = null; }
  if (session?.auth_required && !session.signed_in) return renderSignIn();
  const { parts, params } = parseHash();
  const name = parts[0] || 'streams';
  for (const link of document.querySelectorAll('#nav a')) link.classList.toggle('active', link.dataset.view === name);
  const views = {
    streams: () => parts[1] ? viewStream(live, parts.slice(1).join('/')) : viewStreams(live),
    buckets: () => parts[1] ? viewBucket(live, parts[1], params.get('prefix') || '') : viewBuckets(live),
    functions: () => viewFunctions(live),
    create: () => viewCreate(),
    replays: () => viewReplays(live),
  };
  try {
    await (views[name] || (() => { view().innerHTML = '<h1>Not found</h1>'; }))();
  } catch (e) {
    if (live()) showMessage(e);
  } finally {
    if (live()) document.body.dataset.loaded = name;  // lets tests (and people) know the page settled
  }
}

// ---- streams ----------------------------------------------------------------------------------

// Counters keep their raw number in data-value so tests can compare them with the API.
const counter = (c, key, unit = 'count') =>
  `<span class="counter" data-counter="${key}" data-value="${esc(c?.[key] ?? '')}">${fmtUnit(c?.[key], unit)}</span>`;
const pair = (c, what) => `${counter(c, `${what}_records`)}<br><small>${counter(c, `${what}_bytes`, 'bytes')}</small>`;
const statusBadge = (status) => `<span class="badge status-${esc(status)}">${esc(status)}</span>`;

function streamRow(s) {
  const c = s.counters || {};
  return `<tr data-stream="${esc(s.name)}">
    <td class="name"><a href="#/streams/${enc(s.name)}">${esc(s.name)}</a></td>
    <td class="status">${statusBadge(s.status)}</td>
    <td><span class="kind">${esc(s.kind)}</span><br><small class="target">${esc(s.target)}</small></td>
    <td class="buffering">${fmtBuffering(s.buffering)}</td>
    <td class="processors">${esc((s.processors || []).join(', ') || '—')}</td>
    <td class="version">${esc(s.version_id)}</td>
    <td class="num">${pair(c, 'incoming')}</td><td class="num">${pair(c, 'delivered')}</td>
    <td class="num">${counter(c, 'throttled_records')}</td><td class="num">${counter(c, 'failed_records')}</td>
    <td class="num">${pair(c, 'buffered')}</td></tr>`;
}

async function viewStreams(live) {
  view().innerHTML = `
    <h1>Delivery streams <a class="button" href="#/create">Create stream</a></h1>
    <table id="streams-table"><thead><tr><th>Name</th><th>Status</th><th>Destination</th><th>Buffering</th>
      <th>Processors</th><th>Version</th><th>Incoming</th><th>Delivered</th><th>Throttled</th><th>Failed</th>
      <th>Buffered</th></tr></thead><tbody></tbody></table>
    <p class="hint">Counters are totals since the server started; refreshed every ${REFRESH_MS / 1000} s.</p>`;
  const refresh = async () => {
    const { streams = [] } = await consoleApi('overview');
    if (!live()) return;
    $('#streams-table tbody').innerHTML = streams.map(streamRow).join('') ||
      '<tr class="empty"><td colspan="11">No delivery streams yet. <a href="#/create">Create one</a>.</td></tr>';
  };
  repeat(live, refresh);
  await refresh();
}

// One graph: a line over the last hour, broken where the history has no points (no traffic).
// The raw numbers go into data-* attributes so tests can compare what is drawn with the API.
function graph(field, title, unit, points, resolutionS, now) {
  const W = 460, H = 150, L = 64, R = 10, T = 26, B = 20;
  const values = points.map((p) => Number(p[field] ?? 0));
  const end = Math.max(now, points.at(-1)?.time ?? 0), start = end - HOUR_MS;
  const peak = Math.max(0, ...values);
  const top = peak > 0 ? niceCeiling(peak, unit === 'bytes' ? 1024 : 1) : 1;
  const x = (t) => L + Math.max(0, t - start) / HOUR_MS * (W - L - R);
  const y = (v) => T + (1 - v / top) * (H - T - B);
  let path = '', previous = null;
  points.forEach((p, i) => {
    const joined = previous != null && p.time - previous <= resolutionS * 1500;
    path += `${joined ? 'L' : 'M'}${x(p.time).toFixed(1)},${y(values[i]).toFixed(1)}`;
    previous = p.time;
  });
  const last = points.at(-1);
  const grid = [0, 0.5, 1].map((f) => `<line class="grid" x1="${L}" x2="${W - R}" y1="${y(top * f)}" y2="${y(top * f)}"/>` +
    `<text class="axis" x="${L - 4}" y="${y(top * f) + 4}" text-anchor="end">${esc(fmtUnit(top * f, unit))}</text>`).join('');
  const ticks = [[start, '−60 min'], [start + HOUR_MS / 2, '−30 min'], [end, 'now']].map(([t, label], i) =>
    `<text class="axis" x="${x(t)}" y="${H - 5}" text-anchor="${['start', 'middle', 'end'][i]}">${label}</text>`).join('');
  const dot = last ? `<circle cx="${x(last.time)}" cy="${y(values.at(-1))}" r="3"><title>${esc(fmtTime(last.time))}: ${esc(fmtUnit(values.at(-1), unit))}</title></circle>` : '';
  return `<svg class="graph" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}"
      data-series="${field}" data-points="${points.length}" data-last="${last ? esc(last[field] ?? '') : ''}"
      data-last-time="${last ? esc(last.time) : ''}">
    <text class="title" x="${L}" y="15">${esc(title)}</text>
    <text class="value" x="${W - R}" y="15" text-anchor="end">${last ? esc(fmtUnit(values.at(-1), unit)) : 'no data'}</text>
    ${grid}${ticks}<path d="${path}"/>${dot}</svg>`;
}

// 1, 2, 5 × 10^n at or above v (in KiB, MiB... for bytes): round axis labels.
function niceCeiling(v, step = 1) {
  let scale = 1;
  while (step > 1 && v >= scale * step) scale *= step;
  const base = 10 ** Math.floor(Math.log10(v / scale));
  return [1, 2, 5, 10].map((m) => m * base * scale).find((c) => c >= v * (1 - 1e-9));
}

// Renders any JSON value as rows: the lineage's shape is open, so unknown fields still show.
function renderValue(value, key = '') {
  if (Array.isArray(value)) {
    if (value.length && value.every((v) => v && typeof v === 'object' && !Array.isArray(v))) {
      const columns = [...new Set(value.flatMap(Object.keys))];
      return `<table class="kv"><thead><tr>${columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${
        value.map((row) => `<tr>${columns.map((c) => `<td>${renderValue(row[c], c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
    }
    return `<code>${esc(JSON.stringify(value))}</code>`;
  }
  if (value && typeof value === 'object') {
    return `<table class="kv">${Object.entries(value).map(([k, v]) =>
      `<tr><th>${esc(k)}</th><td data-field="${esc(k)}">${renderValue(v, k)}</td></tr>`).join('')}</table>`;
  }
  if (typeof value === 'number' && /time/i.test(key) && value > 1e11) return esc(fmtTime(value));
  const object = typeof value === 'string' && value.match(/^s3:\/\/([^/]+)\/(.*)$/);
  if (object) {  // where a record went: browse its folder, or download the object
    const [, bucket, key] = object, folder = key.slice(0, key.lastIndexOf('/') + 1);
    return `<a href="#/buckets/${enc(bucket)}?prefix=${enc(folder)}">${esc(value)}</a> ` +
      `<a class="download" href="/${enc(bucket)}/${encKey(key)}" download>download</a>`;
  }
  return esc(value ?? '');
}

function streamHeader(s) {
  return `<dl class="facts">
    <dt>Status</dt><dd id="stream-status" data-status="${esc(s.status)}">${statusBadge(s.status)}</dd>
    <dt>Destination</dt><dd><span class="kind">${esc(s.kind)}</span> → <span class="target">${esc(s.target)}</span></dd>
    <dt>Buffering</dt><dd class="buffering">${fmtBuffering(s.buffering)}</dd>
    <dt>Processors</dt><dd class="processors">${esc((s.processors || []).join(', ') || '—')}</dd>
    <dt>Version</dt><dd class="version">${esc(s.version_id)}</dd>
    ${s.retention_hours ? `<dt>Retention</dt><dd class="retention">${fmtNum(s.retention_hours)} h</dd>` : ''}
    <dt>Created</dt><dd>${esc(fmtTime(s.create_time))}</dd>
    <dt>Incoming</dt><dd>${counter(s.counters, 'incoming_records')} records, ${counter(s.counters, 'incoming_bytes', 'bytes')}</dd>
    <dt>Delivered</dt><dd>${counter(s.counters, 'delivered_records')} records, ${counter(s.counters, 'delivered_bytes', 'bytes')}</dd>
    <dt>Throttled / failed</dt><dd>${counter(s.counters, 'throttled_records')} / ${counter(s.counters, 'failed_records')}</dd>
    <dt>Buffered</dt><dd>${counter(s.counters, 'buffered_records')} records, ${counter(s.counters, 'buffered_bytes', 'bytes')}</dd>
  </dl>`;
}

const errorRow = (e) => `<tr data-code="${esc(e.code)}"><td class="time">${esc(fmtTime(e.time))}</td>
  <td class="code">${esc(e.code)}</td><td class="message">${esc(e.message)}</td><td class="count num">${esc(e.count)}</td>
  <td class="first">${esc(fmtTime(e.first_time))}</td></tr>`;

async function viewStream(live, name) {
  const path = `streams/${enc(name)}`;
  view().innerHTML = `
    <h1><a href="#/streams">Streams</a> / <span id="stream-name">${esc(name)}</span></h1>
    <section id="stream-facts"><p class="hint">Loading…</p></section>
    <h2>Last hour <small class="hint" id="graphs-updated"></small></h2>
    <section id="graphs" class="graphs"></section>
    <h2>Send a test record</h2>
    <div class="card row">
      <textarea id="test-record-data" rows="2" spellcheck="false">${esc(JSON.stringify({ test: true, source: 'hydrant-console' }))}</textarea>
      <button id="test-record" type="button">Send test record</button>
      <span id="test-record-result"></span>
    </div>
    <h2>Where is a record?</h2>
    <form id="lineage-form" class="card row">
      <input id="lineage-id" placeholder="RecordId" spellcheck="false" required>
      <button id="lineage-submit" type="submit">Look up</button>
    </form>
    <div id="lineage-result"></div>
    <h2>Recent errors</h2>
    <table id="errors-table"><thead><tr><th>Last seen</th><th>Code</th><th>Message</th><th>Count</th><th>First seen</th></tr></thead>
      <tbody><tr class="empty"><td colspan="5">Loading…</td></tr></tbody></table>`;

  $('#test-record').addEventListener('click', async () => {
    const result = $('#test-record-result');
    result.textContent = 'Sending…';
    delete result.dataset.recordId;
    try {
      const answer = await firehose('PutRecord', { DeliveryStreamName: name, Record: { Data: base64($('#test-record-data').value) } });
      result.innerHTML = `Accepted: RecordId <code>${esc(answer.RecordId)}</code>`;
      result.dataset.recordId = answer.RecordId;
      $('#lineage-id').value = answer.RecordId;
    } catch (e) {
      result.textContent = 'Refused';
      showMessage(e);
    }
  });
  $('#lineage-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const out = $('#lineage-result');
    try {
      const lineage = await consoleApi(`lineage?stream=${enc(name)}&record_id=${enc($('#lineage-id').value.trim())}`);
      out.innerHTML = `<div class="card">${renderValue(lineage)}</div>`;
    } catch (e) {
      out.innerHTML = '';
      showMessage(e);
    }
  });

  // The three parts refresh together; one failing (e.g. a policy that denies it) leaves the others.
  const refresh = async () => {
    const [overview, history, errors] = await Promise.allSettled([
      consoleApi('overview'), consoleApi(`${path}/history`), consoleApi(`${path}/errors`)]);
    if (!live()) return null;
    const failures = [overview, history, errors].filter((r) => r.status === 'rejected').map((r) => r.reason.message);
    let stream = null;
    if (overview.status === 'fulfilled') {
      stream = (overview.value.streams || []).find((s) => s.name === name);
      $('#stream-facts').innerHTML = stream ? streamHeader(stream) : '';
      if (!stream) failures.unshift(`Delivery stream ${name} not found`);
    }
    if (history.status === 'fulfilled') {
      const { points = [], resolution_seconds: resolution = 10 } = history.value;
      const now = Date.now();
      $('#graphs').innerHTML = GRAPHS.map(([f, t, u]) => graph(f, t, u, points, resolution, now)).join('');
      $('#graphs-updated').textContent = `${points.length} points at ${resolution} s resolution, updated ${fmtTime(now)}`;
    }
    if (errors.status === 'fulfilled') {
      $('#errors-table tbody').innerHTML = (errors.value.errors || []).map(errorRow).join('') ||
        '<tr class="empty"><td colspan="5">No errors.</td></tr>';
    }
    if (failures.length) showMessage([...new Set(failures)].join(' — '), 'error', 'refresh');
    else if ($('#message').dataset.source === 'refresh') clearMessage();
    return stream;
  };
  const stream = await refresh();
  // A new stream is CREATING for a moment: follow it closely until it settles, then every 10 s.
  if (stream && stream.status !== 'ACTIVE') {
    const settle = async () => {
      const s = await refresh();
      if (live()) (s && s.status !== 'ACTIVE') ? repeat(live, settle, 1000) : repeat(live, refresh);
    };
    timer = setTimeout(settle, 1000);
  } else {
    repeat(live, refresh);
  }
}

// ---- buckets ----------------------------------------------------------------------------------

async function viewBuckets(live) {
  view().innerHTML = `<h1>Buckets</h1><table id="buckets-table"><thead><tr><th>Name</th><th>Created</th></tr></thead><tbody></tbody></table>`;
  const xml = await s3('/');
  if (!live()) return;
  const rows = [...xml.getElementsByTagName('Bucket')].map((b) => {
    const name = xmlText(b, 'Name');
    return `<tr data-bucket="${esc(name)}"><td class="name"><a href="#/buckets/${enc(name)}">${esc(name)}</a></td>
      <td>${esc(fmtTime(xmlText(b, 'CreationDate')))}</td></tr>`;
  });
  $('#buckets-table tbody').innerHTML = rows.join('') || '<tr class="empty"><td colspan="2">No buckets.</td></tr>';
}

async function viewBucket(live, bucket, prefix) {
  const here = (p) => `#/buckets/${enc(bucket)}?prefix=${enc(p)}`;
  // Breadcrumbs: one link per folder of the prefix.
  const crumbs = [`<a href="${here('')}">${esc(bucket)}</a>`];
  let so = '';
  for (const part of prefix.split('/').filter(Boolean)) {
    so += `${part}/`;
    crumbs.push(`<a href="${here(so)}">${esc(part)}</a>`);
  }
  view().innerHTML = `
    <h1><a href="#/buckets">Buckets</a> / <span id="bucket-path">${crumbs.join(' / ')}</span></h1>
    <table id="objects-table"><thead><tr><th>Name</th><th>Size</th><th>Last modified</th><th></th></tr></thead><tbody></tbody></table>
    <p class="hint" id="objects-summary"></p>`;
  const folders = [], objects = [];
  let token = null, pages = 0;
  do {  // follow ListObjectsV2 pages, but stop at 20 000 entries: this is a browser, not a sync tool
    const query = `list-type=2&delimiter=%2F&prefix=${enc(prefix)}${token ? `&continuation-token=${enc(token)}` : ''}`;
    const xml = await s3(`/${enc(bucket)}?${query}`);
    if (!live()) return;
    for (const p of xml.getElementsByTagName('CommonPrefixes')) folders.push(xmlText(p, 'Prefix'));
    for (const o of xml.getElementsByTagName('Contents')) objects.push({ key: xmlText(o, 'Key'), size: xmlText(o, 'Size'), modified: xmlText(o, 'LastModified') });
    token = xmlText(xml, 'IsTruncated') === 'true' ? xmlText(xml, 'NextContinuationToken') : null;
  } while (token && ++pages < 20);
  const short = (k) => k.slice(prefix.length) || k;
  $('#objects-table tbody').innerHTML = [
    ...folders.map((p) => `<tr data-prefix="${esc(p)}"><td class="name folder"><a href="${here(p)}">${esc(short(p))}</a></td><td></td><td></td><td></td></tr>`),
    ...objects.map((o) => `<tr data-key="${esc(o.key)}"><td class="name">${esc(short(o.key))}</td>
      <td class="num size" data-value="${esc(o.size)}">${fmtBytes(o.size)}</td><td>${esc(fmtTime(o.modified))}</td>
      <td><a class="download" href="/${enc(bucket)}/${encKey(o.key)}" download="${esc(o.key.split('/').pop())}">Download</a></td></tr>`),
  ].join('') || '<tr class="empty"><td colspan="4">No objects here.</td></tr>';
  $('#objects-summary').textContent = `${folders.length} folders, ${objects.length} objects${token ? ' (more not shown)' : ''}`;
}

// ---- functions --------------------------------------------------------------------------------

async function viewFunctions(live) {
  view().innerHTML = `<h1>Functions</h1><table id="functions-table"><thead><tr><th>Name</th><th>Runtime</th><th>Handler</th>
    <th>Code size</th><th>Memory</th><th>Timeout</th><th>Last modified</th></tr></thead><tbody></tbody></table>`;
  const functions = [];
  let marker = null;
  do {
    const page = JSON.parse(await call(`/2015-03-31/functions/${marker ? `?Marker=${enc(marker)}` : ''}`));
    if (!live()) return;
    functions.push(...(page.Functions || []));
    marker = page.NextMarker;
  } while (marker);
  $('#functions-table tbody').innerHTML = functions.map((f) => `<tr data-function="${esc(f.FunctionName)}">
      <td class="name" title="${esc(f.FunctionArn)}">${esc(f.FunctionName)}</td><td class="runtime">${esc(f.Runtime)}</td>
      <td class="handler"><code>${esc(f.Handler)}</code></td><td class="num">${fmtBytes(f.CodeSize)}</td>
      <td class="num">${fmtNum(f.MemorySize)} MB</td><td class="num">${fmtNum(f.Timeout)} s</td><td>${esc(fmtTime(f.LastModified))}</td></tr>`).join('') ||
    '<tr class="empty"><td colspan="7">No functions. Create them with the Lambda API (aws lambda create-function).</td></tr>';
}

// ---- create -----------------------------------------------------------------------------------

function viewCreate() {
  view().innerHTML = `
    <h1>Create a delivery stream</h1>
    <p class="hint">Paste a CreateDeliveryStream request body (as for <code>aws firehose create-delivery-stream --cli-input-json</code>).</p>
    <form id="create-form" class="card">
      <textarea id="create-json" rows="18" spellcheck="false">${esc(JSON.stringify(CREATE_TEMPLATE, null, 2))}</textarea>
      <button id="create-submit" type="submit">Create stream</button>
    </form>`;
  $('#create-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    let body;
    try {
      body = JSON.parse($('#create-json').value);
    } catch (e) {
      return showMessage(`The request is not valid JSON: ${e.message}`);
    }
    const button = $('#create-submit');
    button.disabled = true;
    try {
      const answer = await firehose('CreateDeliveryStream', body);
      flash = [`Created ${answer.DeliveryStreamARN || body.DeliveryStreamName}`, 'info'];
      location.hash = `#/streams/${enc(body.DeliveryStreamName)}`;
    } catch (e) {
      showMessage(e);
    } finally {
      button.disabled = false;
    }
  });
}

// ---- replays ----------------------------------------------------------------------------------

async function viewReplays(live) {
  view().innerHTML = `
    <h1>Replays</h1>
    <form id="replay-form" class="card row">
      <label>Stream <input id="replay-stream" required></label>
      <label>From <input id="replay-from" type="datetime-local" step="1" required></label>
      <label>To <input id="replay-to" type="datetime-local" step="1" required></label>
      <label>Into stream <input id="replay-to-stream" placeholder="(the same)"></label>
      <button id="replay-submit" type="submit">Start replay</button>
    </form>
    <table id="replays-table"><thead><tr><th>Id</th><th>Stream</th><th>Into</th><th>From</th><th>To</th><th>State</th>
      <th>Records</th><th>Progress</th><th>Message</th><th></th></tr></thead><tbody></tbody></table>`;
  const refresh = async () => {
    const { replays = [] } = await consoleApi('replays');
    if (!live()) return;
    $('#replays-table tbody').innerHTML = replays.map((r) => `<tr data-replay="${esc(r.id)}"><td>${esc(r.id)}</td>
      <td>${esc(r.stream)}</td><td>${esc(r.to_stream || r.stream)}</td><td>${esc(fmtTime(r.from))}</td><td>${esc(fmtTime(r.to))}</td>
      <td class="state" data-state="${esc(r.state)}">${esc(r.state)}</td><td class="num records">${fmtNum(r.records_replayed)}</td>
      <td class="num">${r.progress == null ? '—' : `${fmtNum(Number(r.progress) * 100)} %`}</td>
      <td class="message">${esc(r.message)}</td>
      <td>${r.state === 'running' ? `<button class="cancel" data-id="${esc(r.id)}" type="button">Cancel</button>` : ''}</td></tr>`).join('') ||
      '<tr class="empty"><td colspan="10">No replays.</td></tr>';
  };
  $('#replay-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    // The form's times are local; the server takes ISO-8601 (UTC here) or epoch seconds as text.
    const iso = (id) => new Date($(id).value).toISOString();
    try {
      await consoleApi('replays', postJson({ stream: $('#replay-stream').value.trim(), from: iso('#replay-from'),
        to: iso('#replay-to'), to_stream: $('#replay-to-stream').value.trim() }));
      showMessage('Replay started', 'info');
      await refresh();
    } catch (e) { showMessage(e); }
  });
  $('#replays-table').addEventListener('click', async (event) => {
    const id = event.target.closest('button.cancel')?.dataset.id;
    if (!id) return;
    try { await call(`/console/api/replays/${enc(id)}`, { method: 'DELETE' }); await refresh(); } catch (e) { showMessage(e); }
  });
  repeat(live, refresh);
  await refresh();
}

// ---- start ------------------------------------------------------------------------------------

async function start() {
  $('#signout').addEventListener('click', signOut);
  window.addEventListener('hashchange', route);
  try {
    session = await consoleApi('session');
  } catch (e) {
    view().innerHTML = '';
    showMessage(`The console API does not answer: ${e.message}`);
    document.body.dataset.loaded = 'error';
    return;
  }
  renderWho();
  route();
}

start();
