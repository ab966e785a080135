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

module.exports = { writePortFile, watchOwner, parseCred };
