'use strict';
// A proxy on 127.0.0.1 in front of dynalite or s3rver, neither of which checks
// SigV4 signatures. For every request it signs the request again with AWS's own
// JavaScript signer (@smithy/signature-v4) from what arrived on the wire and
// the secret it knows for the access key ID, and refuses the request, shaped
// like AWS's answer, when the signatures differ. It can also inject throttling,
// 5xx answers and dropped connections, and it counts requests.
//
//   node proxy.js --service dynamodb|s3 --upstream http://127.0.0.1:PORT
//       [--cred ID:SECRET[:TOKEN]]... [--region us-east-1] [--port 0]
//       [--port-file FILE] [--faults JSON] [--max-skew SECONDS] [--owner PID]
//
// Credentials also come from $WDN_PEERS_CREDS (comma-separated), which keeps
// them out of `ps`. With a TOKEN, requests must carry it as the session token.
//
// Admin endpoints on the same port (never forwarded, never counted):
//   GET  /__stats   {requests, byTarget, inFlight, maxInFlight, rejected, injected}
//   POST /__reset   zero the counters
//   GET  /__faults  the fault settings
//   POST /__faults  {"rate":0.3,"kinds":["throttle","500","503","drop"],"seed":1,
//                    "count":N, "ops":["PutItem"]}   (all optional)
// The "unprocessed" kind (DynamoDB) forwards only part of a BatchWriteItem or
// BatchGetItem and answers the rest as UnprocessedItems / UnprocessedKeys, as
// DynamoDB does when a batch meets throttling; other operations go through.
const http = require('http');
const crypto = require('crypto');
const { parseArgs } = require('util');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');
const { writePortFile, watchOwner, parseCred, headersOf, parseQuery, readBody } = require('./common');

const { values: opt } = parseArgs({
  options: {
    service: { type: 'string' },
    upstream: { type: 'string' },
    cred: { type: 'string', multiple: true, default: [] },
    region: { type: 'string', default: '' },
    port: { type: 'string', default: '0' },
    'port-file': { type: 'string' },
    faults: { type: 'string' },
    'max-skew': { type: 'string', default: '900' },
    owner: { type: 'string' },
  },
});
if (!['dynamodb', 's3'].includes(opt.service) || !opt.upstream) {
  console.error('usage: node proxy.js --service dynamodb|s3 --upstream URL [--cred ID:SECRET]...');
  process.exit(2);
}
const S3 = opt.service === 's3';
const upstream = new URL(opt.upstream);
const creds = new Map(
  [...opt.cred, ...(process.env.WDN_PEERS_CREDS || '').split(',').filter(Boolean)].map(parseCred),
);
const maxSkewMs = Number(opt['max-skew']) * 1000;
watchOwner(opt.owner);

// ---- AWS-shaped answers ------------------------------------------------------

const xml = (s) =>
  String(s).replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]);

// DynamoDB answers JSON with a namespaced __type, S3 answers XML with a Code.
function awsError(res, status, code, message, extra = {}) {
  const id = crypto.randomUUID();
  let body, type;
  if (S3) {
    type = 'application/xml';
    body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xml(message)}</Message>` +
      Object.entries(extra).map(([k, v]) => `<${k}>${xml(v)}</${k}>`).join('') +
      `<RequestId>${id}</RequestId></Error>`;
  } else {
    type = 'application/x-amz-json-1.0';
    body = JSON.stringify({ __type: code, message });
  }
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    [S3 ? 'x-amz-request-id' : 'x-amzn-RequestId']: id,
  });
  res.end(body);
}

// Why a request was refused -> [DynamoDB status, __type, S3 status, Code], as
// the real services answer. DynamoDB refuses bad signatures with 400, S3 with 403.
const coral = 'com.amazon.coral.service#';
const DENY = {
  missing: [400, coral + 'MissingAuthenticationTokenException', 403, 'AccessDenied'],
  malformed: [400, coral + 'IncompleteSignatureException', 400, 'AuthorizationHeaderMalformed'],
  scope: [400, coral + 'InvalidSignatureException', 400, 'AuthorizationHeaderMalformed'],
  unknownKey: [400, coral + 'UnrecognizedClientException', 403, 'InvalidAccessKeyId'],
  badToken: [400, coral + 'UnrecognizedClientException', 400, 'InvalidToken'],
  skew: [400, coral + 'InvalidSignatureException', 403, 'RequestTimeTooSkewed'],
  expired: [400, coral + 'InvalidSignatureException', 403, 'AccessDenied'],
  mismatch: [400, coral + 'InvalidSignatureException', 403, 'SignatureDoesNotMatch'],
  payload: [400, coral + 'InvalidSignatureException', 400, 'XAmzContentSHA256Mismatch'],
  request: [400, coral + 'IncompleteSignatureException', 400, 'InvalidRequest'],
};

// Injected faults -> [DynamoDB status, __type, message, S3 status, Code, message].
const ddb = 'com.amazonaws.dynamodb.v20120810#';
const slowDown = [503, 'SlowDown', 'Please reduce your request rate.'];
const FAULTS = {
  throttle: [400, ddb + 'ThrottlingException', 'Rate exceeded', ...slowDown],
  throughput: [400, ddb + 'ProvisionedThroughputExceededException',
    'The level of configured provisioned throughput for the table was exceeded.', ...slowDown],
  500: [500, ddb + 'InternalServerError', 'Internal server error',
    500, 'InternalError', 'We encountered an internal error. Please try again.'],
  503: [503, ddb + 'ServiceUnavailable', 'Service unavailable',
    503, 'ServiceUnavailable', 'Service is unable to handle request.'],
  drop: null, // the socket is destroyed without an answer
  unprocessed: null, // a batch half done: see partial()
};

// ---- what arrived -------------------------------------------------------------

// The operation a request is, for the counters: X-Amz-Target's for DynamoDB,
// for S3 from the method, the path and the subresource.
const SUBRESOURCES = ['acl', 'cors', 'encryption', 'lifecycle', 'location', 'logging', 'notification', 'policy',
  'replication', 'tagging', 'versioning', 'website', 'retention', 'legal-hold', 'object-lock'];
function operation(req, path, q, h) {
  if (!S3) return (h['x-amz-target'] || 'unknown').split('.').pop();
  const [, bucket, key] = /^\/([^/]*)\/?(.*)$/.exec(path) || [];
  const m = req.method;
  if (!bucket) return m === 'GET' ? 'ListBuckets' : `${m} /`;
  const of = (ops) => ops[m] || `${m} ${key ? 'object' : 'bucket'}`;
  const sub = SUBRESOURCES.find((r) => r in q), verb = { GET: 'Get', PUT: 'Put', DELETE: 'Delete' }[m];
  if (sub && verb) return verb + (key ? 'Object' : 'Bucket') + sub.replace(/(?:^|-)(.)/g, (_, c) => c.toUpperCase());
  if (!key) {
    if (m === 'GET') return q['list-type'] === '2' ? 'ListObjectsV2' : 'versions' in q ? 'ListObjectVersions'
      : 'uploads' in q ? 'ListMultipartUploads' : 'ListObjects';
    return 'delete' in q ? 'DeleteObjects' : of({ PUT: 'CreateBucket', DELETE: 'DeleteBucket', HEAD: 'HeadBucket' });
  }
  if ('uploads' in q) return 'CreateMultipartUpload';
  if ('uploadId' in q) return of({ PUT: 'UploadPart', POST: 'CompleteMultipartUpload', DELETE: 'AbortMultipartUpload', GET: 'ListParts' });
  return of({ GET: 'GetObject', HEAD: 'HeadObject', DELETE: 'DeleteObject',
    PUT: h['x-amz-copy-source'] ? 'CopyObject' : 'PutObject' });
}

// ---- the signature check ------------------------------------------------------

// Keeps what smithy built, to show the caller what was expected. Also puts
// back a signed Date header: smithy always drops Date (it signs X-Amz-Date
// instead), but AWS accepts a request that signs it.
class CheckingSigner extends SignatureV4 {
  createCanonicalRequest(request, headers, payloadHash) {
    if (this.date !== undefined) headers = { ...headers, date: this.date.trim().replace(/\s+/g, ' ') };
    return (this.canonicalRequest = super.createCanonicalRequest(request, headers, payloadHash));
  }
  async createStringToSign(...args) {
    return (this.stringToSign = await super.createStringToSign(...args));
  }
}

const basicDate = (d) => d.toISOString().replace(/[-:]|\.\d{3}/g, '');
const sha256hex = (b) => crypto.createHash('sha256').update(b).digest('hex');

// Returns null when the request is signed right, else [reason, message, extra].
async function check(req, path, q, h, body) {
  const presigned = 'X-Amz-Signature' in q;
  let a; // credential, signedHeaders, signature, date (basic ISO 8601)
  if (presigned) {
    if (q['X-Amz-Algorithm'] !== 'AWS4-HMAC-SHA256') return ['malformed', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"'];
    a = { credential: q['X-Amz-Credential'], signedHeaders: q['X-Amz-SignedHeaders'], signature: q['X-Amz-Signature'], date: q['X-Amz-Date'] };
  } else if (h.authorization) {
    const m = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(h.authorization);
    if (!m) return ['malformed', 'Unsupported Authorization Type: only AWS4-HMAC-SHA256 is accepted'];
    const f = {};
    for (const part of m[1].split(',')) {
      const i = part.indexOf('=');
      f[part.slice(0, i).trim()] = part.slice(i + 1).trim();
    }
    const date = h['x-amz-date'] || (h.date && !isNaN(Date.parse(h.date)) ? basicDate(new Date(h.date)) : undefined);
    a = { credential: f.Credential, signedHeaders: f.SignedHeaders, signature: f.Signature, date };
  } else {
    return ['missing', S3 ? 'Access Denied' : 'Request is missing Authentication Token'];
  }
  for (const k of ['credential', 'signedHeaders', 'signature', 'date'])
    if (typeof a[k] !== 'string' || !a[k]) return ['malformed', `Authorization is missing its ${k}`];

  const [id, day, region, service, term, ...more] = a.credential.split('/');
  if (term !== 'aws4_request' || more.length) return ['malformed', `Credential '${a.credential}' is not ID/YYYYMMDD/REGION/SERVICE/aws4_request`];
  const cred = creds.get(id);
  if (!cred) return ['unknownKey', S3 ? 'The AWS Access Key Id you provided does not exist in our records.' : 'The security token included in the request is invalid.', { AWSAccessKeyId: id }];
  if (service !== opt.service) return ['scope', `Credential should be scoped to correct service: '${opt.service}'.`];
  if (opt.region && region !== opt.region)
    return ['scope', S3 ? `The authorization header is malformed; the region '${region}' is wrong; expecting '${opt.region}'`
      : `Credential should be scoped to a valid region, not '${region}'.`];
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(a.date);
  if (!m) return ['malformed', `X-Amz-Date '${a.date}' is not in the basic ISO 8601 form YYYYMMDDTHHMMSSZ`];
  if (day !== a.date.slice(0, 8)) return ['malformed', `Date in Credential scope (${day}) does not match the date of the request (${a.date})`];
  const signingDate = new Date(Date.UTC(m[1], m[2] - 1, m[3], m[4], m[5], m[6]));

  const signed = a.signedHeaders.split(';');
  if (!signed.includes('host')) return ['malformed', "'Host' must be a signed header"];
  const token = presigned ? q['X-Amz-Security-Token'] : h['x-amz-security-token'];
  // A key given with a token needs that token; one given without, none.
  if ((cred.token || token) && token !== cred.token) return ['badToken', 'The security token included in the request is invalid.'];

  // The clock: 15 minutes either way, or a presigned URL's own expiry.
  const now = Date.now();
  if (presigned) {
    const exp = Number(q['X-Amz-Expires']);
    if (!Number.isInteger(exp) || exp < 1 || exp > 604800) return ['malformed', 'X-Amz-Expires must be 1 to 604800 seconds'];
    if (now > signingDate.getTime() + exp * 1000) return ['expired', `Request has expired (signed ${a.date}, valid ${exp} s)`];
  }
  if (maxSkewMs > 0 && Math.abs(now - signingDate) > maxSkewMs && !(presigned && signingDate < now))
    return ['skew', S3 ? 'The difference between the request time and the current time is too large.'
      : `Signature expired: ${a.date} is more than ${maxSkewMs / 60000} min. away from the time now, ${basicDate(new Date(now))}.`,
    { RequestTime: a.date, ServerTime: basicDate(new Date(now)) }];

  // The payload hash. DynamoDB hashes the body it got, whatever the client
  // says; S3 takes x-amz-content-sha256 (required on signed headers, may be
  // UNSIGNED-PAYLOAD), and a presigned URL with none is UNSIGNED-PAYLOAD.
  const sent = h['x-amz-content-sha256'];
  let payloadHash = sha256hex(body);
  if (S3) {
    if (!sent && !presigned) return ['request', 'Missing required header for this request: x-amz-content-sha256'];
    if (sent && /^STREAMING-/.test(sent)) return ['request', `x-amz-content-sha256 ${sent}: aws-chunked uploads are not supported by the test peers`];
    if (sent && sent !== 'UNSIGNED-PAYLOAD' && !/^[0-9a-f]{64}$/.test(sent)) return ['request', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a SHA-256 in lower-case hex'];
    if (sent && sent !== 'UNSIGNED-PAYLOAD' && sent !== payloadHash)
      return ['payload', "The provided 'x-amz-content-sha256' header does not match what was computed.", { ClientComputedContentSHA256: sent, S3ComputedContentSHA256: payloadHash }];
    payloadHash = sent || 'UNSIGNED-PAYLOAD';
  } else if (sent && sent !== payloadHash) {
    return ['mismatch', `x-amz-content-sha256 ${sent} is not the SHA-256 of the body (${payloadHash})`];
  }

  // The request as the client's signer saw it: the signed headers only, the
  // path as sent (smithy encodes it once more unless S3), the query decoded.
  const headers = {};
  for (const n of signed) if (n in h) headers[n] = h[n];
  // smithy reads the payload hash from this header; where the client did not
  // sign it, it stays out of the canonical request (unsignable, unhoistable).
  if (S3) headers['x-amz-content-sha256'] = payloadHash;
  const notSigned = new Set(
    [...Object.keys(h), 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token'].filter((n) => !signed.includes(n)),
  );
  const query = { ...q };
  delete query['X-Amz-Signature'];
  const request = {
    method: req.method, protocol: 'http:', hostname: upstream.hostname, path, query, headers,
    body: body.length ? body : undefined,
  };
  const signer = new CheckingSigner({
    service: opt.service, region, sha256: Sha256, uriEscapePath: !S3,
    credentials: {
      accessKeyId: id, secretAccessKey: cred.secret,
      // smithy adds the token itself: give it the one the request signed.
      sessionToken: !presigned && signed.includes('x-amz-security-token') ? token : undefined,
    },
  });
  if (!presigned && signed.includes('date')) signer.date = h.date;
  let expected;
  if (presigned) {
    const r = await signer.presign(request, {
      signingDate, expiresIn: Number(q['X-Amz-Expires']),
      signableHeaders: new Set(signed), unsignableHeaders: notSigned, unhoistableHeaders: new Set(Object.keys(headers)),
    });
    expected = r.query['X-Amz-Signature'];
  } else {
    const r = await signer.sign(request, { signingDate, signableHeaders: new Set(signed), unsignableHeaders: notSigned });
    expected = /Signature=([0-9a-f]+)/.exec(r.headers.authorization)[1];
  }
  if (expected === a.signature) return null;
  const why = S3
    ? 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'
    : 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.' +
      `\n\nThe Canonical String for this request should have been\n'${signer.canonicalRequest}'\n\nThe String-to-Sign should have been\n'${signer.stringToSign}'\n`;
  return ['mismatch', why, {
    AWSAccessKeyId: id, StringToSign: signer.stringToSign, SignatureProvided: a.signature,
    CanonicalRequest: signer.canonicalRequest,
  }];
}

// ---- faults and counters ------------------------------------------------------

// mulberry32: a tiny seeded PRNG, so a seed gives the same faults every run.
function prng(seed) {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let faults, random;
// rate: chance per request; kinds: picked from evenly; seed: restarts the
// sequence; count: at most this many faults, then none; ops: only these
// operations (X-Amz-Target's name, or the S3 operation).
function setFaults({ rate = 0, kinds = ['throttle'], seed = 0, count = null, ops = null } = {}) {
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new Error('rate must be a number from 0 to 1');
  if (!Array.isArray(kinds) || !kinds.length || !kinds.every((k) => Object.hasOwn(FAULTS, String(k))))
    throw new Error(`kinds must be a non-empty list of ${Object.keys(FAULTS).join(', ')}`);
  if (!Number.isInteger(seed)) throw new Error('seed must be an integer');
  if (count !== null && !(Number.isInteger(count) && count >= 0)) throw new Error('count must be a non-negative integer or null');
  if (ops !== null && !(Array.isArray(ops) && ops.every((o) => typeof o === 'string'))) throw new Error('ops must be a list of operation names or null');
  faults = { rate, kinds: kinds.map(String), seed, count, ops };
  random = prng(seed);
}
setFaults(opt.faults ? JSON.parse(opt.faults) : {});

// The fault for this request, or null. Draws from the sequence only for
// requests the settings cover, so a seed gives the same faults to the same
// sequence of requests.
function pickFault(op) {
  if (!faults.rate || faults.count === 0 || (faults.ops && !faults.ops.includes(op))) return null;
  if (random() >= faults.rate) return null;
  if (faults.count !== null) faults.count--;
  return faults.kinds[Math.floor(random() * faults.kinds.length)];
}

let stats;
const resetStats = (inFlight = 0) =>
  (stats = { requests: 0, byTarget: {}, inFlight, maxInFlight: inFlight, rejected: 0, injected: 0 });
resetStats();

// ---- the server ---------------------------------------------------------------

const agent = new http.Agent({ keepAlive: true });

// "unprocessed": the first half (rounded up) of each table's batch goes on;
// the rest comes back as unprocessed, merged into the upstream's answer.
const BATCH_PARTS = { BatchWriteItem: ['UnprocessedItems'], BatchGetItem: ['UnprocessedKeys', 'Keys'] };
function partial(req, res, body, op) {
  const [member, list] = BATCH_PARTS[op];
  const asked = JSON.parse(body);
  const held = {};
  for (const [table, v] of Object.entries(asked.RequestItems || {})) {
    const items = list ? v[list] : v;
    if (!Array.isArray(items) || items.length < 2) continue;
    const keep = Math.ceil(items.length / 2);
    held[table] = list ? { ...v, [list]: items.slice(keep) } : items.slice(keep);
    if (list) v[list] = items.slice(0, keep);
    else asked.RequestItems[table] = items.slice(0, keep);
  }
  forward(req, res, Buffer.from(JSON.stringify(asked)), (status, answer) => {
    if (status !== 200) return answer;
    const a = JSON.parse(answer);
    a[member] = a[member] || {};
    for (const [table, rest] of Object.entries(held)) {
      const had = a[member][table];
      a[member][table] = !had ? rest : list ? { ...had, [list]: [...had[list], ...rest[list]] } : [...had, ...rest];
    }
    return Buffer.from(JSON.stringify(a));
  });
}

// Sends the request upstream; edit, if given, may rewrite a whole answer.
function forward(req, res, body, edit = null) {
  const headers = { ...req.headers };
  // Hop-by-hop headers stay here; the body was read whole, so its length is known.
  for (const n of ['connection', 'keep-alive', 'expect', 'transfer-encoding']) delete headers[n];
  if (body.length || 'content-length' in req.headers) headers['content-length'] = body.length;
  const up = http.request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent, setHost: false },
    (ur) => {
      const rh = { ...ur.headers };
      delete rh.connection;
      delete rh['keep-alive'];
      if (!edit) {
        res.writeHead(ur.statusCode, rh);
        return ur.pipe(res);
      }
      const got = [];
      ur.on('data', (c) => got.push(c));
      ur.on('end', () => {
        const out = edit(ur.statusCode, Buffer.concat(got));
        delete rh['content-encoding'];
        delete rh['x-amz-crc32']; // the body changed
        rh['content-length'] = out.length;
        res.writeHead(ur.statusCode, rh);
        res.end(out);
      });
    },
  );
  up.on('error', (e) => {
    log(`upstream ${opt.upstream}: ${e.message}`);
    if (!res.headersSent) awsError(res, 502, S3 ? 'BadGateway' : 'BadGateway', `proxy: upstream: ${e.message}`);
    else res.destroy();
  });
  up.end(body);
}

const log = (s) => console.error(`${new Date().toISOString()} ${s}`);

function json(res, status, v) {
  const body = JSON.stringify(v) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

// Admin endpoints. S3 bucket names cannot start with '_', DynamoDB only uses
// "/", so these never shadow a real request.
function admin(req, res, path, body) {
  if (path === '/__stats' && req.method === 'GET') return json(res, 200, stats);
  if (path === '/__reset' && req.method === 'POST') return json(res, 200, resetStats(stats.inFlight));
  if (path === '/__faults' && req.method === 'GET') return json(res, 200, faults);
  if (path === '/__faults' && req.method === 'POST') {
    try {
      setFaults(body.length ? JSON.parse(body) : {});
    } catch (e) {
      return json(res, 400, { error: e.message });
    }
    log(`faults ${JSON.stringify(faults)}`);
    return json(res, 200, faults);
  }
  return json(res, 404, { error: `no admin endpoint ${req.method} ${path}` });
}

async function handle(req, res) {
  const body = await readBody(req);
  const qi = req.url.indexOf('?');
  const path = qi < 0 ? req.url : req.url.slice(0, qi);
  if (path.startsWith('/__')) return admin(req, res, path, body);

  const h = headersOf(req);
  let q;
  try {
    q = parseQuery(qi < 0 ? '' : req.url.slice(qi + 1));
  } catch {
    q = null;
  }
  const op = operation(req, path, q || Object.create(null), h);
  stats.requests++;
  stats.byTarget[op] = (stats.byTarget[op] || 0) + 1;
  stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
  res.on('close', () => stats.inFlight--);

  const bad = q ? await check(req, path, q, h, body) : ['malformed', 'The query string is not valid percent-encoding'];
  if (bad) {
    const [reason, message, extra = {}] = bad;
    const [ds, dc, ss, sc] = DENY[reason];
    stats.rejected++;
    log(`${req.method} ${req.url} ${op}: refused (${reason}): ${message}` +
      (extra.CanonicalRequest ? `\n--- expected canonical request ---\n${extra.CanonicalRequest}\n--- expected string to sign ---\n${extra.StringToSign}\n---` : ''));
    return S3 ? awsError(res, ss, sc, message, extra) : awsError(res, ds, dc, message);
  }

  const fault = pickFault(op);
  if (fault === 'unprocessed') {
    if (S3 || !BATCH_PARTS[op]) return forward(req, res, body);
    stats.injected++;
    log(`${req.method} ${req.url} ${op}: injected ${fault}`);
    return partial(req, res, body, op);
  }
  if (fault) {
    stats.injected++;
    log(`${req.method} ${req.url} ${op}: injected ${fault}`);
    if (fault === 'drop') return req.socket.destroy();
    const [ds, dc, dm, ss, sc, sm] = FAULTS[fault];
    return S3 ? awsError(res, ss, sc, sm) : awsError(res, ds, dc, dm);
  }
  log(`${req.method} ${req.url} ${op}`);
  forward(req, res, body);
}

const server = http.createServer((req, res) =>
  handle(req, res).catch((e) => {
    log(`${req.method} ${req.url}: proxy error: ${e.stack}`);
    if (!res.headersSent) awsError(res, 500, S3 ? 'InternalError' : ddb + 'InternalServerError', `proxy error: ${e.message}`);
    else res.destroy();
  }),
);
server.listen(Number(opt.port), '127.0.0.1', () => {
  const { port } = server.address();
  log(`proxy for ${opt.service} on 127.0.0.1:${port} -> ${opt.upstream}, ${creds.size} key(s), faults ${JSON.stringify(faults)}`);
  writePortFile(opt['port-file'], port);
});
