'use strict';
// A credentials stub on 127.0.0.1 for tests/cmd/t0403-credentials.sh: it plays
// every service the credential chain talks to, each answering as AWS does, and
// one S3 bucket listing that shows which credentials a command ended up with.
// Needs only Node's own modules; with @smithy/signature-v4 installed (the
// peers' node_modules) it also checks every SigV4 signature with AWS's signer.
//
//   node stub.js [--port-file FILE] [--owner PID]
//       --cred ID:SECRET[:TOKEN]...   long-term keys it knows (also $WDN_STUB_CREDS)
//
// The secrets it expects come from the environment (never the command line):
//   WDN_STUB_ECS_TOKEN   the container endpoint's Authorization value
//   WDN_STUB_WEB_TOKEN   the web identity token AssumeRoleWithWebIdentity takes
//   WDN_STUB_SSO_TOKEN   the SSO access token the portal takes
//
// Endpoints:
//   PUT  /latest/api/token                          IMDSv2 session token (needs the TTL header)
//   GET  /latest/meta-data/iam/security-credentials/[ROLE]   (401 without the token)
//   GET  /ecs/creds                                 container endpoint (checks Authorization)
//   GET  /federation/credentials?account_id=&role_name=   SSO portal (x-amz-sso_bearer_token)
//   POST /   Action=AssumeRole (signed) | AssumeRoleWithWebIdentity (unsigned)    STS
//   GET  /BUCKET?list-type=2                        S3 ListObjectsV2 (signed), an empty bucket
//   GET  /__log                                     every request: {op, key, ok, why, signer}
// A role whose ARN ends in /Denied is refused, as STS refuses an untrusted caller.
// Issued key IDs say who issued them: ASIAROLE..., ASIAWEBID..., ASIASSO...,
// ASIAECS..., ASIAIMDS...; their secrets all hold the marker WDNSTUBSECRET and
// their tokens WDNSTUBTOKEN, so a test can look for leaks.
const http = require('http');
const crypto = require('crypto');
const { parseArgs } = require('util');
const { writePortFile, watchOwner, parseCred, headersOf, parseQuery: parseUrlQuery, readBody } = require('./common');
const parseQuery = (raw) => parseUrlQuery(raw, true); // STS and the SSO portal send forms

let SignatureV4, Sha256;
try {
  ({ SignatureV4 } = require('@smithy/signature-v4'));
  ({ Sha256 } = require('@aws-crypto/sha256-js'));
} catch {
  SignatureV4 = null; // key IDs and tokens are still checked
}

const { values: opt } = parseArgs({
  options: {
    'port-file': { type: 'string' },
    owner: { type: 'string' },
    cred: { type: 'string', multiple: true, default: [] },
  },
});
watchOwner(opt.owner);

const creds = new Map(
  [...opt.cred, ...(process.env.WDN_STUB_CREDS || '').split(',').filter(Boolean)].map(parseCred),
);
const ecsToken = process.env.WDN_STUB_ECS_TOKEN || '';
const webToken = process.env.WDN_STUB_WEB_TOKEN || '';
const ssoToken = process.env.WDN_STUB_SSO_TOKEN || '';
const imdsTokens = new Set();
const log = [];

let serial = 0;
// Temporary credentials, remembered so requests signed with them verify.
function issue(kind, ttl = 3600) {
  serial++;
  const id = 'ASIA' + kind + String(serial).padStart(16 - kind.length, '0');
  const secret = `WDNSTUBSECRET/${kind}/${crypto.randomBytes(9).toString('base64')}`;
  const token = `WDNSTUBTOKEN${kind}${crypto.randomBytes(24).toString('base64')}`;
  const expiration = new Date(Date.now() + ttl * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  creds.set(id, { secret, token });
  return { id, secret, token, expiration };
}

const xml = (s) =>
  String(s).replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]);

function send(res, status, type, body, extra = {}) {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(body);
}
const json = (res, status, v, extra) => send(res, status, 'application/json', JSON.stringify(v), extra);

// null when the request is signed right for service, else why not.
async function checkSig(req, path, q, h, body, service) {
  const m = /^AWS4-HMAC-SHA256\s+Credential=([^,]+),\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/.exec(h.authorization || '');
  if (!m) return 'no SigV4 Authorization header';
  const [id, , region, svc, term] = m[1].split('/');
  const cred = creds.get(id);
  if (!cred) return `unknown key ${id}`;
  if (svc !== service || term !== 'aws4_request') return `scope ${m[1]} is not for ${service}`;
  if ((cred.token || h['x-amz-security-token']) && h['x-amz-security-token'] !== cred.token) return 'wrong session token';
  if (!SignatureV4) return null;
  const signed = m[2].split(';');
  const headers = {};
  for (const n of signed) if (n in h) headers[n] = h[n];
  const sd = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(h['x-amz-date'] || '');
  if (!sd) return 'no X-Amz-Date';
  const signingDate = new Date(Date.UTC(sd[1], sd[2] - 1, sd[3], sd[4], sd[5], sd[6]));
  const signer = new SignatureV4({
    service, region, sha256: Sha256, uriEscapePath: service !== 's3',
    credentials: { accessKeyId: id, secretAccessKey: cred.secret,
      sessionToken: signed.includes('x-amz-security-token') ? cred.token : undefined },
  });
  const notSigned = new Set([...Object.keys(h), 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token']
    .filter((n) => !signed.includes(n)));
  const r = await signer.sign(
    { method: req.method, protocol: 'http:', hostname: '127.0.0.1', path, query: q, headers, body: body.length ? body : undefined },
    { signingDate, signableHeaders: new Set(signed), unsignableHeaders: notSigned },
  );
  const want = /Signature=([0-9a-f]+)/.exec(r.headers.authorization)[1];
  return want === m[3] ? null : 'signature mismatch';
}

function stsError(res, status, code, message) {
  send(res, status, 'text/xml',
    `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n  <Error>\n    <Type>Sender</Type>\n` +
    `    <Code>${code}</Code>\n    <Message>${xml(message)}</Message>\n  </Error>\n` +
    `  <RequestId>${crypto.randomUUID()}</RequestId>\n</ErrorResponse>\n`);
}

// STS answers as the query protocol does: <ActionResponse><ActionResult>...
function stsCreds(res, action, c, inner) {
  send(res, 200, 'text/xml',
    `<${action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n  <${action}Result>\n${inner}` +
    `    <Credentials>\n      <SessionToken>${c.token}</SessionToken>\n` +
    `      <SecretAccessKey>${xml(c.secret)}</SecretAccessKey>\n      <Expiration>${c.expiration}</Expiration>\n` +
    `      <AccessKeyId>${c.id}</AccessKeyId>\n    </Credentials>\n  </${action}Result>\n` +
    `  <ResponseMetadata>\n    <RequestId>${crypto.randomUUID()}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`);
}

const roleUser = (arn, session) => {
  const [, acct, name] = /^arn:aws:iam::(\d+):role\/(.*)$/.exec(arn) || [, '123456789012', 'x'];
  return `    <AssumedRoleUser>\n      <AssumedRoleId>AROA3XFRBF535PLBIFPI4:${xml(session)}</AssumedRoleId>\n` +
    `      <Arn>arn:aws:sts::${acct}:assumed-role/${xml(name)}/${xml(session)}</Arn>\n    </AssumedRoleUser>\n`;
};

async function handle(req, res) {
  const body = await readBody(req);
  const qi = req.url.indexOf('?');
  const path = qi < 0 ? req.url : req.url.slice(0, qi);
  const q = parseQuery(qi < 0 ? '' : req.url.slice(qi + 1));
  const h = headersOf(req);
  const entry = { method: req.method, path, ok: false };
  const done = (ok, why, extra = {}) => log.push(Object.assign(entry, { ok, why }, extra));

  if (path === '/__log') return json(res, 200, log);

  // IMDSv2
  if (path === '/latest/api/token') {
    entry.op = 'imds-token';
    if (req.method !== 'PUT' || !h['x-aws-ec2-metadata-token-ttl-seconds']) {
      done(false, 'not a PUT with the TTL header');
      return send(res, 400, 'text/plain', 'Bad Request');
    }
    const t = crypto.randomBytes(24).toString('base64');
    imdsTokens.add(t);
    done(true);
    return send(res, 200, 'text/plain', t, { 'x-aws-ec2-metadata-token-ttl-seconds': h['x-aws-ec2-metadata-token-ttl-seconds'] });
  }
  if (path.startsWith('/latest/meta-data/iam/security-credentials/')) {
    const role = decodeURIComponent(path.slice('/latest/meta-data/iam/security-credentials/'.length));
    entry.op = role ? 'imds-creds' : 'imds-role';
    if (!imdsTokens.has(h['x-aws-ec2-metadata-token'])) {
      done(false, 'no IMDSv2 token');
      return send(res, 401, 'text/plain', 'Unauthorized');
    }
    if (!role) {
      done(true);
      return send(res, 200, 'text/plain', 'wdn-instance-role');
    }
    if (role !== 'wdn-instance-role') {
      done(false, `no role ${role}`);
      return send(res, 404, 'text/html', '<?xml version="1.0"?>\n<html><body><h1>404 - Not Found</h1></body></html>\n');
    }
    const c = issue('IMDS');
    done(true, undefined, { issued: c.id });
    return json(res, 200, { Code: 'Success', LastUpdated: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      Type: 'AWS-HMAC', AccessKeyId: c.id, SecretAccessKey: c.secret, Token: c.token, Expiration: c.expiration });
  }

  // the container endpoint
  if (path === '/ecs/creds') {
    entry.op = 'ecs';
    if (!ecsToken || h.authorization !== ecsToken) {
      done(false, h.authorization ? 'wrong Authorization' : 'no Authorization');
      return json(res, 401, { code: 'AccessDeniedException', message: 'Authorization token is not valid' });
    }
    const c = issue('ECS');
    done(true, undefined, { issued: c.id });
    return json(res, 200, { AccessKeyId: c.id, Expiration: c.expiration,
      RoleArn: 'arn:aws:iam::123456789012:role/wdn-task-role', SecretAccessKey: c.secret, Token: c.token });
  }

  // the SSO portal: GetRoleCredentials
  if (path === '/federation/credentials') {
    entry.op = 'sso';
    if (req.method !== 'GET' || !ssoToken || h['x-amz-sso_bearer_token'] !== ssoToken) {
      done(false, 'bad bearer token');
      return json(res, 401, { message: 'Session token not found or invalid' }, { 'x-amzn-ErrorType': 'UnauthorizedException:http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/' });
    }
    if (!q.account_id || !q.role_name) {
      done(false, 'no account_id or role_name');
      return json(res, 400, { message: 'account_id and role_name are required' }, { 'x-amzn-ErrorType': 'InvalidRequestException' });
    }
    const c = issue('SSO');
    done(true, undefined, { issued: c.id, account: q.account_id, role: q.role_name });
    return json(res, 200, { roleCredentials: { accessKeyId: c.id, secretAccessKey: c.secret,
      sessionToken: c.token, expiration: Date.parse(c.expiration) } });
  }

  // STS, query protocol
  if (path === '/' && req.method === 'POST') {
    const f = parseQuery(body.toString());
    entry.op = f.Action;
    entry.role = f.RoleArn;
    entry.session = f.RoleSessionName;
    if (!/^application\/x-www-form-urlencoded/.test(h['content-type'] || '') || f.Version !== '2011-06-15') {
      done(false, 'not a query-protocol request');
      return stsError(res, 400, 'InvalidAction', 'Could not find operation');
    }
    if (f.Action === 'AssumeRole') {
      const bad = await checkSig(req, path, Object.create(null), h, body, 'sts');
      entry.signer = (/Credential=([A-Z0-9]+)\//.exec(h.authorization || '') || [])[1];
      if (bad) {
        done(false, bad);
        return stsError(res, 403, 'SignatureDoesNotMatch', `The request signature we calculated does not match: ${bad}`);
      }
      if (!f.RoleArn || !f.RoleSessionName) {
        done(false, 'missing parameters');
        return stsError(res, 400, 'MissingParameter', 'RoleArn and RoleSessionName are required');
      }
      if (/\/Denied$/.test(f.RoleArn)) {
        done(false, 'denied');
        return stsError(res, 403, 'AccessDenied', `User: arn:aws:iam::123456789012:user/wdn is not authorized to perform: sts:AssumeRole on resource: ${f.RoleArn}`);
      }
      const c = issue('ROLE');
      done(true, undefined, { issued: c.id, externalId: f.ExternalId, duration: f.DurationSeconds });
      return stsCreds(res, 'AssumeRole', c, roleUser(f.RoleArn, f.RoleSessionName) + '    <PackedPolicySize>6</PackedPolicySize>\n');
    }
    if (f.Action === 'AssumeRoleWithWebIdentity') {
      if (h.authorization) {
        done(false, 'signed');
        return stsError(res, 400, 'InvalidRequest', 'AssumeRoleWithWebIdentity takes no signature');
      }
      if (!webToken || f.WebIdentityToken !== webToken) {
        done(false, 'bad token');
        return stsError(res, 400, 'InvalidIdentityToken', 'Couldn\'t retrieve verification key from your identity provider');
      }
      const c = issue('WEBID');
      done(true, undefined, { issued: c.id });
      return stsCreds(res, 'AssumeRoleWithWebIdentity', c,
        '    <Audience>sts.amazonaws.com</Audience>\n' + roleUser(f.RoleArn, f.RoleSessionName) +
        '    <Provider>arn:aws:iam::123456789012:oidc-provider/oidc.example.com</Provider>\n' +
        '    <SubjectFromWebIdentityToken>system:serviceaccount:wdn:test</SubjectFromWebIdentityToken>\n');
    }
    done(false, 'unknown action');
    return stsError(res, 400, 'InvalidAction', `Could not find operation ${f.Action}`);
  }

  // S3 ListObjectsV2 on any bucket: empty, once the signature holds
  const bucket = /^\/([a-z0-9.-]+)\/?$/.exec(path);
  if (bucket && req.method === 'GET' && q['list-type'] === '2') {
    entry.op = 'ListObjectsV2';
    entry.key = (/Credential=([A-Z0-9]+)\//.exec(h.authorization || '') || [])[1];
    const bad = await checkSig(req, path, q, h, body, 's3');
    if (bad) {
      done(false, bad);
      return send(res, 403, 'application/xml', `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${xml(bad)}</Message></Error>`);
    }
    done(true);
    return send(res, 200, 'application/xml', `<?xml version="1.0" encoding="UTF-8"?>\n` +
      `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket[1]}</Name>` +
      `<Prefix>${xml(q.prefix || '')}</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`);
  }
  entry.op = 'unknown';
  done(false, 'no such endpoint');
  send(res, 404, 'text/plain', 'no such endpoint');
}

const server = http.createServer((req, res) =>
  handle(req, res).catch((e) => {
    console.error(`${req.method} ${req.url}: ${e.stack}`);
    if (!res.headersSent) send(res, 500, 'text/plain', 'stub error');
  }),
);
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  console.error(`credentials stub on 127.0.0.1:${port}, ${creds.size} key(s), signatures ${SignatureV4 ? 'checked' : 'not checked (no @smithy/signature-v4)'}`);
  writePortFile(opt['port-file'], port);
});
