'use strict';
// Starts one protocol peer on 127.0.0.1 with a port the OS picks, and writes
// that port to a file (the peers' own command lines cannot listen on port 0).
//
//   node servers.js dynalite --port-file F [--owner PID]
//   node servers.js s3rver   --port-file F --dir DIR [--cred ID:SECRET]... [--owner PID]
//                            (credentials also from $WDN_PEERS_CREDS, comma-separated)
//   node servers.js probe URL...   exit 0 once every URL answers (any status)
const http = require('http');
const { parseArgs } = require('util');
const { writePortFile, watchOwner, parseCred } = require('./common');

const { values: opt, positionals: [what, ...rest] } = parseArgs({
  allowPositionals: true,
  options: {
    'port-file': { type: 'string' },
    owner: { type: 'string' },
    dir: { type: 'string' },
    cred: { type: 'string', multiple: true, default: [] },
  },
});
watchOwner(opt.owner);

function listening(addr) {
  console.log(`${what} listening on 127.0.0.1:${addr.port}`);
  writePortFile(opt['port-file'], addr.port);
}

if (what === 'dynalite') {
  // In memory: every test starts from an empty database. Tables stay in
  // CREATING for dynalite's default 500 ms, as on AWS they take a while.
  const server = require('dynalite')({});
  server.listen(0, '127.0.0.1', () => listening(server.address()));
} else if (what === 's3rver') {
  if (!opt.dir) throw new Error('s3rver needs --dir');
  // s3rver does not check SigV4 signatures (the proxy does) but it does refuse
  // access key IDs it does not know: it only knows S3RVER. Give its one
  // account our test keys too, so the proxy can forward requests unchanged.
  const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account');
  const list = [...opt.cred, ...(process.env.WDN_PEERS_CREDS || '').split(',').filter(Boolean)];
  for (const c of list) {
    const [id, { secret }] = parseCred(c);
    DUMMY_ACCOUNT.createKeyPair(id, secret);
  }
  const S3rver = require('s3rver');
  new S3rver({ address: '127.0.0.1', port: 0, directory: opt.dir, silent: false })
    .run()
    .then(listening, (e) => {
      console.error(e);
      process.exit(1);
    });
} else if (what === 'probe') {
  // Any HTTP answer means the server is up; errors mean not yet.
  Promise.all(
    rest.map(
      (u) =>
        new Promise((ok, ko) =>
          http.get(u, (res) => ok(res.resume())).on('error', ko).setTimeout(2000, function () {
            this.destroy(new Error('timeout'));
          }),
        ),
    ),
  ).then(
    () => process.exit(0),
    () => process.exit(1),
  );
} else {
  console.error('usage: node servers.js dynalite|s3rver|probe ...');
  process.exit(2);
}
