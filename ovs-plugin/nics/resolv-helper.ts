// The DHCP hook's helper: udhcpc's hook runs as root in the host's mount namespace on every
// lease, so it never writes into a container's root itself. It writes the nic's own resolv file
// beside the state, then runs this script with Node (`process.execPath`) to copy that file into
// <root>/etc/resolv.conf by the same fd walk as root-etc.ts: no link followed, etc never
// created (a root without it is skipped), the host's `/` and /etc refused, a temporary file made
// O_EXCL|O_NOFOLLOW in the etc fd and renamed within it. Plain CommonJS: it runs outside the bundle.
import { dirname, join } from 'node:path';

/** The helper's text (argv: the source file, the root). */
export const RESOLV_HELPER = `'use strict';
// Written by ovs-plugin (nics/resolv-helper.ts): copies a DHCP nic's resolv file into <root>/etc/resolv.conf.
const fs = require('fs');
const C = fs.constants;
const [src, root] = process.argv.slice(2);
const fail = (why) => { process.stderr.write('udhcpc-nic-resolv: ' + root + ': ' + why + '\\n'); process.exit(1); };
const same = (a, b) => a.dev === b.dev && a.ino === b.ino;
const text = fs.readFileSync(src);
if (text.length > ${64 * 1024}) fail('resolv file too large');
let dir, etc;
try { dir = fs.openSync(root, C.O_RDONLY | C.O_DIRECTORY); } catch (e) { fail('cannot be opened (' + e.code + ')'); }
if (same(fs.fstatSync(dir), fs.statSync('/'))) fail("is the host's root");
try { etc = fs.openSync('/proc/self/fd/' + dir + '/etc', C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW); } catch (e) {
  if (e.errno === -require('os').constants.errno.ENOENT) process.exit(0); // no etc: nothing to copy into
  fail('etc cannot be opened (' + e.code + ')');
}
if (same(fs.fstatSync(etc), fs.statSync('/etc'))) fail("etc is the host's /etc");
const at = (name) => '/proc/self/fd/' + etc + '/' + name;
const tmp = '.resolv.conf.' + process.pid + '.' + require('crypto').randomBytes(4).toString('hex') + '.tmp';
const f = fs.openSync(at(tmp), C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o644);
try {
  fs.writeFileSync(f, text);
  fs.closeSync(f);
  fs.renameSync(at(tmp), at('resolv.conf'));
} catch (e) {
  try { fs.unlinkSync(at(tmp)); } catch {} // best effort: the write's own error is reported
  fail(e.message);
}
`;

/** Where the helper lives: beside the hook script. */
export const helperPath = (script: string): string => join(dirname(script), 'udhcpc-nic-resolv.cjs');
