'use strict';
// Helpers shared by servers.js and proxy.js.
const fs = require('fs');

// Writes the port a server got from the OS into FILE. Written to a temporary
// name and renamed, so start.sh never reads half a number.
function writePortFile(file, port) {
  if (!file) return;
  fs.writeFileSync(file + '.tmp', port + '\n');
  fs.renameSync(file + '.tmp', file);
}

// Exits once process PID is gone: the peers must not outlive a test that was
// killed before its EXIT trap could run stop.sh. PID 0 or unset: never.
function watchOwner(pid) {
  pid = Number(pid);
  if (!pid) return;
  setInterval(() => {
    try {
      process.kill(pid, 0);
    } catch (e) {
      if (e.code === 'ESRCH') process.exit(0);
    }
  }, 1000).unref();
}

// "ID:SECRET[:TOKEN]" -> [ID, {secret, token}].
function parseCred(s) {
  const [id, secret, token] = s.split(':');
  if (!id || !secret) throw new Error(`bad credential '${id}:…': want ID:SECRET[:TOKEN]`);
  return [id, { secret, token }];
}


// Header names in lower case; a repeated header's values joined with ',' as
// SigV4 canonicalises them (Node's req.headers would join with ', ').
function headersOf(req) {
  const h = Object.create(null);
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const n = req.rawHeaders[i].toLowerCase(), v = req.rawHeaders[i + 1];
    h[n] = n in h ? `${h[n]},${v}` : v;
  }
  return h;
}

// A query or form body decoded once; '+' is a '+' in a URL's query (the
// signer encodes it again), a space in a form body (plusIsSpace).
function parseQuery(raw, plusIsSpace = false) {
  const q = Object.create(null);
  for (const part of raw.split('&')) {
    if (!part) continue;
    const i = part.indexOf('=');
    const dec = (s) => decodeURIComponent(plusIsSpace ? s.replace(/\+/g, ' ') : s);
    const k = dec(i < 0 ? part : part.slice(0, i));
    const v = i < 0 ? '' : dec(part.slice(i + 1));
    q[k] = k in q ? [].concat(q[k], v) : v;
  }
  return q;
}

// A request's whole body, as one Buffer.
async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks);
}

module.exports = { writePortFile, watchOwner, parseCred, headersOf, parseQuery, readBody };
