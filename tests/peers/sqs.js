'use strict';
// A small Amazon SQS on 127.0.0.1 for the tests of wdn-record --sqs: the JSON
// protocol (POST /, X-Amz-Target: AmazonSQS.OP, application/x-amz-json-1.0)
// for the operations wdn-record uses, with visibility timeouts, receive
// counts and a redrive policy that moves a message to a dead-letter queue
// after maxReceiveCount receives. Every request's SigV4 signature (service
// "sqs") is checked with AWS's own signer, @smithy/signature-v4, as
// proxy.js checks DynamoDB's and S3's; a request signed wrong is refused.
//
//   node sqs.js [--region us-east-1] [--cred ID:SECRET[:TOKEN]]... [--port-file F] [--owner PID]
//       credentials also from $WDN_PEERS_CREDS (comma-separated)
//
// Operations: CreateQueue (Attributes VisibilityTimeout, RedrivePolicy),
// GetQueueUrl, ReceiveMessage (MaxNumberOfMessages, WaitTimeSeconds,
// VisibilityTimeout), DeleteMessage, DeleteMessageBatch, GetQueueAttributes.
// Queue URLs are http://127.0.0.1:PORT/000000000000/NAME.
//
// Admin (unsigned, never counted):
//   POST /__send?queue=NAME   the body becomes a message; answers {"MessageId"}
//   GET  /__queue?queue=NAME  {visible, inFlight, messages: [{MessageId, receiveCount, Body}]}
//   POST /__faults            {"failDeletes": N}: the next N entries of DeleteMessageBatch
//                             fail (InternalError), so those messages come again
//   GET  /__stats             {requests, byTarget, rejected, deleted, received}
const http = require('http');
const crypto = require('crypto');
const { parseArgs } = require('util');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');
const { writePortFile, watchOwner, parseCred, headersOf, readBody } = require('./common');

const { values: opt } = parseArgs({
  options: {
    region: { type: 'string', default: 'us-east-1' },
    cred: { type: 'string', multiple: true, default: [] },
    'port-file': { type: 'string' },
    owner: { type: 'string' },
  },
});
watchOwner(opt.owner);
const creds = new Map(
  [...opt.cred, ...(process.env.WDN_PEERS_CREDS || '').split(',').filter(Boolean)].map(parseCred),
);
const ACCOUNT = '000000000000';
let port = 0;

const log = (s) => console.error(`${new Date().toISOString()} ${s}`);
const md5 = (s) => crypto.createHash('md5').update(s).digest('hex');
const sha256hex = (b) => crypto.createHash('sha256').update(b).digest('hex');

// ---- queues ---------------------------------------------------------------------

const queues = new Map(); // name -> {name, visibility, redrive: {dlq, max}, messages: []}
const stats = { requests: 0, byTarget: {}, rejected: 0, deleted: 0, received: 0 };
let failDeletes = 0;

const urlOf = (name) => `http://127.0.0.1:${port}/${ACCOUNT}/${name}`;
function queueOf(url) {
  const name = String(url || '').split('/').pop();
  return queues.get(name);
}
function createQueue(name, attrs = {}) {
  if (!queues.has(name)) queues.set(name, { name, visibility: 30, redrive: null, messages: [] });
  const q = queues.get(name);
  if (attrs.VisibilityTimeout !== undefined) q.visibility = Number(attrs.VisibilityTimeout);
  if (attrs.RedrivePolicy) {
    const p = JSON.parse(attrs.RedrivePolicy);
    q.redrive = { dlq: String(p.deadLetterTargetArn).split(':').pop(), max: Number(p.maxReceiveCount) };
  }
  return q;
}
function send(q, body) {
  const m = { MessageId: crypto.randomUUID(), Body: body, receiveCount: 0, visibleAt: 0, handle: null, sent: Date.now() };
  q.messages.push(m);
  return m;
}

// Visible messages, moving to the dead-letter queue those received too often.
function visible(q, now) {
  const out = [];
  for (const m of [...q.messages]) {
    if (m.visibleAt > now) continue;
    if (q.redrive && m.receiveCount >= q.redrive.max) {
      q.messages.splice(q.messages.indexOf(m), 1);
      const dlq = createQueue(q.redrive.dlq);
      m.receiveCount = 0;
      m.visibleAt = 0;
      dlq.messages.push(m);
      log(`${m.MessageId}: moved to ${dlq.name} after ${q.redrive.max} receives`);
      continue;
    }
    out.push(m);
  }
  return out;
}

class SqsError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
const noQueue = () => new SqsError(400, 'QueueDoesNotExist', 'The specified queue does not exist.');

const ops = {
  CreateQueue(b) {
    if (!b.QueueName) throw new SqsError(400, 'MissingParameter', 'QueueName is required');
    createQueue(b.QueueName, b.Attributes || {});
    return { QueueUrl: urlOf(b.QueueName) };
  },
  GetQueueUrl(b) {
    if (!queues.has(b.QueueName)) throw noQueue();
    return { QueueUrl: urlOf(b.QueueName) };
  },
  async ReceiveMessage(b) {
    const q = queueOf(b.QueueUrl);
    if (!q) throw noQueue();
    const max = b.MaxNumberOfMessages === undefined ? 1 : Number(b.MaxNumberOfMessages);
    const wait = b.WaitTimeSeconds === undefined ? 0 : Number(b.WaitTimeSeconds);
    if (!Number.isInteger(max) || max < 1 || max > 10)
      throw new SqsError(400, 'InvalidParameterValue', 'Value for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10.');
    if (!Number.isInteger(wait) || wait < 0 || wait > 20)
      throw new SqsError(400, 'InvalidParameterValue', 'Value for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20.');
    const vis = b.VisibilityTimeout === undefined ? q.visibility : Number(b.VisibilityTimeout);
    const until = Date.now() + wait * 1000;
    let got = visible(q, Date.now());
    while (!got.length && Date.now() < until) {
      await new Promise((ok) => setTimeout(ok, 50));
      got = visible(q, Date.now());
    }
    const now = Date.now();
    const out = got.slice(0, max).map((m) => {
      m.receiveCount++;
      m.visibleAt = now + vis * 1000;
      m.handle = crypto.randomBytes(24).toString('base64');
      stats.received++;
      return {
        MessageId: m.MessageId, ReceiptHandle: m.handle, MD5OfBody: md5(m.Body), Body: m.Body,
        Attributes: { ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: String(m.sent) },
      };
    });
    return out.length ? { Messages: out } : {};
  },
  DeleteMessage(b) {
    const q = queueOf(b.QueueUrl);
    if (!q) throw noQueue();
    const i = q.messages.findIndex((m) => m.handle === b.ReceiptHandle);
    if (i < 0) throw new SqsError(400, 'ReceiptHandleIsInvalid', 'The input receipt handle is invalid.');
    q.messages.splice(i, 1);
    stats.deleted++;
    return {};
  },
  DeleteMessageBatch(b) {
    const q = queueOf(b.QueueUrl);
    if (!q) throw noQueue();
    const entries = b.Entries || [];
    if (!entries.length) throw new SqsError(400, 'EmptyBatchRequest', 'There should be at least one DeleteMessageBatchRequestEntry in the request.');
    if (entries.length > 10) throw new SqsError(400, 'TooManyEntriesInBatchRequest', 'Maximum number of entries per request are 10.');
    const Successful = [], Failed = [];
    for (const e of entries) {
      const i = q.messages.findIndex((m) => m.handle === e.ReceiptHandle);
      if (failDeletes > 0) {
        failDeletes--;
        Failed.push({ Id: e.Id, SenderFault: false, Code: 'InternalError', Message: 'injected' });
      } else if (i < 0) {
        Failed.push({ Id: e.Id, SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'The input receipt handle is invalid.' });
      } else {
        q.messages.splice(i, 1);
        stats.deleted++;
        Successful.push({ Id: e.Id });
      }
    }
    return { Successful, Failed };
  },
  GetQueueAttributes(b) {
    const q = queueOf(b.QueueUrl);
    if (!q) throw noQueue();
    const now = Date.now();
    return {
      Attributes: {
        ApproximateNumberOfMessages: String(q.messages.filter((m) => m.visibleAt <= now).length),
        ApproximateNumberOfMessagesNotVisible: String(q.messages.filter((m) => m.visibleAt > now).length),
        VisibilityTimeout: String(q.visibility),
      },
    };
  },
};

// ---- the signature check ------------------------------------------------------------

// null when the request is signed right, else why not.
async function check(req, path, h, body) {
  const m = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(h.authorization || '');
  if (!m) return ['MissingAuthenticationToken', 'Request is missing Authentication Token'];
  const f = {};
  for (const part of m[1].split(',')) {
    const i = part.indexOf('=');
    f[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  if (!f.Credential || !f.SignedHeaders || !f.Signature || !h['x-amz-date'])
    return ['IncompleteSignature', 'Authorization lacks Credential, SignedHeaders or Signature, or X-Amz-Date is missing'];
  const [id, day, region, service, term] = f.Credential.split('/');
  const cred = creds.get(id);
  if (!cred) return ['InvalidClientTokenId', 'The security token included in the request is invalid.'];
  if (term !== 'aws4_request' || service !== 'sqs' || region !== opt.region)
    return ['SignatureDoesNotMatch', `Credential should be scoped to sqs in ${opt.region}, not ${service} in ${region}`];
  const d = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(h['x-amz-date']);
  if (!d || day !== h['x-amz-date'].slice(0, 8)) return ['IncompleteSignature', 'X-Amz-Date does not match the credential scope'];
  const signingDate = new Date(Date.UTC(d[1], d[2] - 1, d[3], d[4], d[5], d[6]));
  if (Math.abs(Date.now() - signingDate) > 900000) return ['SignatureDoesNotMatch', 'Signature expired'];
  const signed = f.SignedHeaders.split(';');
  if (!signed.includes('host')) return ['IncompleteSignature', "'Host' must be a signed header"];
  const token = h['x-amz-security-token'];
  if ((cred.token || token) && token !== cred.token) return ['InvalidClientTokenId', 'The security token included in the request is invalid.'];
  const sent = h['x-amz-content-sha256'];
  if (sent && sent !== sha256hex(body)) return ['SignatureDoesNotMatch', 'x-amz-content-sha256 is not the SHA-256 of the body'];

  const headers = {};
  for (const n of signed) if (n in h) headers[n] = h[n];
  const notSigned = new Set(
    [...Object.keys(h), 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token'].filter((n) => !signed.includes(n)),
  );
  const signer = new SignatureV4({
    service: 'sqs', region, sha256: Sha256, uriEscapePath: true,
    credentials: { accessKeyId: id, secretAccessKey: cred.secret, sessionToken: signed.includes('x-amz-security-token') ? token : undefined },
  });
  const r = await signer.sign(
    { method: req.method, protocol: 'http:', hostname: '127.0.0.1', path, query: {}, headers, body: body.length ? body : undefined },
    { signingDate, signableHeaders: new Set(signed), unsignableHeaders: notSigned },
  );
  const expected = /Signature=([0-9a-f]+)/.exec(r.headers.authorization)[1];
  return expected === f.Signature ? null : ['SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'];
}

// ---- the server ---------------------------------------------------------------------

function reply(res, status, v, extra = {}) {
  const body = JSON.stringify(v);
  res.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.0', 'Content-Length': Buffer.byteLength(body),
    'x-amzn-RequestId': crypto.randomUUID(), ...extra,
  });
  res.end(body);
}
function awsError(res, status, code, message) {
  reply(res, status, { __type: `com.amazonaws.sqs#${code}`, message }, { 'x-amzn-query-error': `AWS.SimpleQueueService.${code};Sender` });
}

async function handle(req, res) {
  const body = await readBody(req);
  const url = new URL(req.url, 'http://localhost');
  const path = url.pathname;

  if (path === '/__send' && req.method === 'POST') {
    const q = createQueue(url.searchParams.get('queue') || 'q');
    return reply(res, 200, { MessageId: send(q, body.toString()).MessageId, MD5OfMessageBody: md5(body.toString()) });
  }
  if (path === '/__queue' && req.method === 'GET') {
    const q = queues.get(url.searchParams.get('queue'));
    if (!q) return reply(res, 404, { error: 'no such queue' });
    const now = Date.now();
    return reply(res, 200, {
      visible: q.messages.filter((m) => m.visibleAt <= now).length,
      inFlight: q.messages.filter((m) => m.visibleAt > now).length,
      messages: q.messages.map((m) => ({ MessageId: m.MessageId, receiveCount: m.receiveCount, Body: m.Body })),
    });
  }
  if (path === '/__faults' && req.method === 'POST') {
    failDeletes = Number(JSON.parse(body.toString() || '{}').failDeletes || 0);
    return reply(res, 200, { failDeletes });
  }
  if (path === '/__stats' && req.method === 'GET') return reply(res, 200, stats);

  const h = headersOf(req);
  const op = String(h['x-amz-target'] || '').replace(/^AmazonSQS\./, '');
  stats.requests++;
  stats.byTarget[op] = (stats.byTarget[op] || 0) + 1;
  const bad = await check(req, path, h, body);
  if (bad) {
    stats.rejected++;
    log(`${op}: refused: ${bad[1]}`);
    return awsError(res, 403, bad[0], bad[1]);
  }
  if (req.method !== 'POST' || path !== '/' || !/^application\/x-amz-json-1\.0/.test(h['content-type'] || ''))
    return awsError(res, 400, 'InvalidAction', 'the JSON protocol wants POST / with Content-Type application/x-amz-json-1.0');
  if (!Object.hasOwn(ops, op)) return awsError(res, 400, 'InvalidAction', `The action ${op} is not valid for this endpoint.`);
  let b;
  try {
    b = JSON.parse(body.toString() || '{}');
  } catch {
    return awsError(res, 400, 'SerializationException', 'the body is not JSON');
  }
  try {
    const out = await ops[op](b);
    log(`${op} ${b.QueueUrl || b.QueueName || ''}: ${JSON.stringify(out).slice(0, 160)}`);
    reply(res, 200, out);
  } catch (e) {
    if (!(e instanceof SqsError)) throw e;
    log(`${op}: ${e.code}: ${e.message}`);
    awsError(res, e.status, e.code, e.message);
  }
}

const server = http.createServer((req, res) =>
  handle(req, res).catch((e) => {
    log(`${req.method} ${req.url}: ${e.stack}`);
    if (!res.headersSent) awsError(res, 500, 'InternalError', e.message);
  }),
);
server.listen(0, '127.0.0.1', () => {
  port = server.address().port;
  log(`SQS on 127.0.0.1:${port}, ${creds.size} key(s)`);
  writePortFile(opt['port-file'], port);
});
