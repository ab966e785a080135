'use strict';
// A stand-in for CloudTrail's ListPublicKeys on 127.0.0.1, for the digest
// tests (t08NN): JSON protocol 1.1, X-Amz-Target
// com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListPublicKeys,
// SigV4 for the service "cloudtrail" (checked with AWS's own signer when
// @smithy/signature-v4 is installed, else only its shape). It answers with
// the keys of a file (the API's form: epoch validity times) whose validity
// overlaps [StartTime, EndTime], one per page, so paging is exercised.
//
//   node cloudtrail.js --keys FILE [--cred ID:SECRET]... [--port-file F] [--owner PID]
//
// Admin: GET /__log: every request, {target, ok, why, start, end, token}.
const http = require('http');
const fs = require('fs');
const { parseArgs } = require('util');
const { writePortFile, watchOwner, parseCred, headersOf, readBody } = require('./common');

let SignatureV4, Sha256;
try {
  ({ SignatureV4 } = require('@smithy/signature-v4'));
  ({ Sha256 } = require('@aws-crypto/sha256-js'));
} catch {
  SignatureV4 = null;
}

const { values: opt } = parseArgs({
  options: {
    keys: { type: 'string' },
    cred: { type: 'string', multiple: true, default: [] },
    'port-file': { type: 'string' },
    owner: { type: 'string' },
  },
});
watchOwner(opt.owner);
const creds = new Map(opt.cred.map(parseCred));
const TARGET = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListPublicKeys';
const log = [];

async function signatureOk(req, h, body) {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/
    .exec(h.authorization || '');
  if (!m) return 'no SigV4 Authorization';
  if (m[4] !== 'cloudtrail') return `signed for service '${m[4]}'`;
  if (!SignatureV4 || !creds.has(m[1])) return creds.size && !creds.has(m[1]) ? `unknown key ${m[1]}` : null;
  const signer = new SignatureV4({
    credentials: { accessKeyId: m[1], secretAccessKey: creds.get(m[1]).secret },
    region: m[3], service: 'cloudtrail', sha256: Sha256, uriEscapePath: true,
  });
  const names = m[5].split(';'), headers = {};
  for (const n of names) if (n in h) headers[n] = h[n];
  const d = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(h['x-amz-date'] || '');
  if (!d) return 'no X-Amz-Date';
  const notSigned = new Set([...Object.keys(h), 'x-amz-content-sha256', 'x-amz-security-token']
    .filter((n) => !names.includes(n)));
  const signed = await signer.sign(
    { method: req.method, protocol: 'http:', hostname: '127.0.0.1', path: req.url, query: {}, headers,
      body: body.length ? body : undefined },
    { signingDate: new Date(Date.UTC(d[1], d[2] - 1, d[3], d[4], d[5], d[6])), signableHeaders: new Set(names),
      unsignableHeaders: notSigned });
  const want = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization)[1];
  return want === m[6] ? null : 'signature differs';
}

const server = http.createServer(async (req, res) => {
  const body = await readBody(req);
  if (req.method === 'GET' && req.url === '/__log') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(log));
    return;
  }
  const h = headersOf(req);
  const entry = { target: h['x-amz-target'], ok: false };
  log.push(entry);
  const fail = (status, type, message) => {
    entry.why = message;
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type });
    res.end(JSON.stringify({ __type: type, message }));
  };
  if (h['x-amz-target'] !== TARGET) return fail(400, 'UnknownOperationException', `target ${h['x-amz-target']}`);
  if (h['content-type'] !== 'application/x-amz-json-1.1') return fail(400, 'SerializationException', `content-type ${h['content-type']}`);
  const why = await signatureOk(req, h, body);
  if (why) return fail(403, 'InvalidSignatureException', why);
  let q;
  try {
    q = JSON.parse(body.toString() || '{}');
  } catch {
    return fail(400, 'SerializationException', 'body is not JSON');
  }
  Object.assign(entry, { start: q.StartTime, end: q.EndTime, token: q.NextToken });
  const all = JSON.parse(fs.readFileSync(opt.keys, 'utf8')).PublicKeyList
    .filter((k) => (q.EndTime === undefined || k.ValidityStartTime <= q.EndTime) &&
                   (q.StartTime === undefined || k.ValidityEndTime >= q.StartTime));
  const at = Number(q.NextToken || 0);
  const out = { PublicKeyList: all.slice(at, at + 1) };
  if (at + 1 < all.length) out.NextToken = String(at + 1);
  entry.ok = true;
  res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'ct-' + log.length });
  res.end(JSON.stringify(out));
});
server.listen(0, '127.0.0.1', () => writePortFile(opt['port-file'], server.address().port));
