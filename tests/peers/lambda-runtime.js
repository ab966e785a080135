'use strict';
// A stand-in for the AWS Lambda Runtime API on 127.0.0.1, for the tests of
// wdn-record --lambda: it hands out queued invocation payloads the way the
// real API does (GET .../invocation/next waits for one; its ID in the
// Lambda-Runtime-Aws-Request-Id header) and keeps what the runtime answered.
// Node's own modules only.
//
//   node lambda-runtime.js [--port-file FILE] [--owner PID]
//
// Runtime API (as documented for custom runtimes):
//   GET  /2018-06-01/runtime/invocation/next
//   POST /2018-06-01/runtime/invocation/ID/response   202; 400 for an unknown or answered ID
//   POST /2018-06-01/runtime/invocation/ID/error      202 (body {errorMessage, errorType})
//   POST /2018-06-01/runtime/init/error               202
// Admin:
//   POST /__invoke[?id=ID]   queue the body as an invocation payload; answers {"id"}.
//                            The same ID twice is a redelivery, as Lambda retries.
//   GET  /__results          [{id, kind: "response"|"error", body, raw, errorType}...] in answer
//                            order (body parsed when it is JSON, raw the bytes as text)
//   GET  /__init-errors      [{body, errorType}...]
//   GET  /__stats            {queued, handedOut, answered, nextCalls}
const http = require('http');
const crypto = require('crypto');
const { parseArgs } = require('util');
const { writePortFile, watchOwner, readBody } = require('./common');

const { values: opt } = parseArgs({
  options: {
    'port-file': { type: 'string' },
    owner: { type: 'string' },
  },
});
watchOwner(opt.owner);

const queue = []; // {id, payload}
const waiting = []; // responses of GET /next with nothing to hand out yet
const outstanding = new Map(); // id -> payload, handed out and not yet answered
const results = [];
const initErrors = [];
const stats = { queued: 0, handedOut: 0, answered: 0, nextCalls: 0 };
const API = '/2018-06-01/runtime';

const log = (s) => console.error(`${new Date().toISOString()} ${s}`);

function json(res, status, v) {
  const body = JSON.stringify(v) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function handOut(res, inv) {
  stats.handedOut++;
  outstanding.set(inv.id, inv.payload);
  log(`next -> ${inv.id} (${inv.payload.length} bytes)`);
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Content-Length': inv.payload.length,
    'Lambda-Runtime-Aws-Request-Id': inv.id,
    'Lambda-Runtime-Deadline-Ms': String(Date.now() + 900000),
    'Lambda-Runtime-Invoked-Function-Arn': 'arn:aws:lambda:us-east-1:000000000000:function:whodunnit',
    'Lambda-Runtime-Trace-Id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${crypto.randomBytes(12).toString('hex')}`,
  });
  res.end(inv.payload);
}

function answer(res, id, kind, body, errorType) {
  if (!outstanding.has(id)) return json(res, 400, { errorMessage: `Invalid request ID: ${id}`, errorType: 'InvalidRequestID' });
  outstanding.delete(id);
  stats.answered++;
  let parsed = body.toString();
  try {
    parsed = JSON.parse(parsed);
  } catch {
    // kept as text: the test says what it thinks of that
  }
  results.push({ id, kind, body: parsed, raw: body.toString(), errorType });
  log(`${kind} <- ${id}: ${body.toString().slice(0, 200)}`);
  json(res, 202, { status: 'OK' });
}

async function handle(req, res) {
  const body = await readBody(req);
  const url = new URL(req.url, 'http://localhost');
  const path = url.pathname;
  let m;

  if (req.method === 'GET' && path === `${API}/invocation/next`) {
    stats.nextCalls++;
    if (queue.length) return handOut(res, queue.shift());
    waiting.push(res);
    res.on('close', () => {
      const i = waiting.indexOf(res);
      if (i >= 0) waiting.splice(i, 1);
    });
    return;
  }
  if (req.method === 'POST' && (m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(path)))
    return answer(res, decodeURIComponent(m[1]), m[2], body, req.headers['lambda-runtime-function-error-type']);
  if (req.method === 'POST' && path === `${API}/init/error`) {
    let parsed = body.toString();
    try {
      parsed = JSON.parse(parsed);
    } catch {
      // as text
    }
    initErrors.push({ body: parsed, errorType: req.headers['lambda-runtime-function-error-type'] });
    log(`init error: ${body.toString().slice(0, 200)}`);
    return json(res, 202, { status: 'OK' });
  }
  if (req.method === 'POST' && path === '/__invoke') {
    const inv = { id: url.searchParams.get('id') || crypto.randomUUID(), payload: body };
    stats.queued++;
    const w = waiting.shift();
    if (w) handOut(w, inv);
    else queue.push(inv);
    return json(res, 200, { id: inv.id });
  }
  if (req.method === 'GET' && path === '/__results') return json(res, 200, results);
  if (req.method === 'GET' && path === '/__init-errors') return json(res, 200, initErrors);
  if (req.method === 'GET' && path === '/__stats') return json(res, 200, { ...stats, waiting: waiting.length, outstanding: outstanding.size });
  json(res, 404, { errorMessage: `no ${req.method} ${path}`, errorType: 'NotFound' });
}

const server = http.createServer((req, res) =>
  handle(req, res).catch((e) => {
    log(`${req.method} ${req.url}: ${e.stack}`);
    if (!res.headersSent) json(res, 500, { errorMessage: e.message, errorType: 'ServiceException' });
  }),
);
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  log(`Lambda Runtime API stand-in on 127.0.0.1:${port}`);
  writePortFile(opt['port-file'], port);
});
