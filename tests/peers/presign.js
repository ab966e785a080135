'use strict';
// Prints URL presigned (SigV4 in the query string) with AWS's own signer, the
// way the AWS SDK's S3 presigner does, for the tests of presigned requests.
//
//   node presign.js SERVICE METHOD URL [EXPIRES [SIGNED_AT]]
//
// Credentials and region from $AWS_ACCESS_KEY_ID, $AWS_SECRET_ACCESS_KEY and
// $AWS_REGION; EXPIRES in seconds (default 300); SIGNED_AT in Unix seconds
// (default now), to make URLs that have already expired.
const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');

const [service, method, url, expires = '300', at] = process.argv.slice(2);
if (!url) {
  console.error('usage: node presign.js SERVICE METHOD URL [EXPIRES [SIGNED_AT]]');
  process.exit(2);
}
const u = new URL(url);
const query = {};
for (const [k, v] of u.searchParams) query[k] = v;
const signer = new SignatureV4({
  service, region: process.env.AWS_REGION, sha256: Sha256, uriEscapePath: service !== 's3',
  credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY },
});
// S3 presigned URLs do not sign the payload: the SDK says so in a header the
// signer hoists into the query.
const headers = { host: u.host };
if (service === 's3') headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
signer
  .presign(
    { method, protocol: u.protocol, hostname: u.hostname, port: u.port, path: u.pathname, query, headers },
    { expiresIn: Number(expires), signingDate: at ? new Date(Number(at) * 1000) : new Date() },
  )
  .then((r) => {
    const q = Object.entries(r.query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
    console.log(`${u.origin}${u.pathname}?${q.join('&')}`);
  });
