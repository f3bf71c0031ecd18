// A member's home: its files (identity, local.conf with one port and nothing public, devicemap,
// networks.d, planet), made once (a home that exists is an error), removed only when it is named
// as ours under the state file's directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { stderrLogger } from '../../../../lib/log.ts';
import { homeFor, isOurHome, makeHome, removeHome } from '../../../../ovs-plugin/nics/zerotier/home.ts';

test('home: files, mode, made once, removed only when ours', async (t) => {
  const dir = await mkdtemp('/tmp/zth-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  const state = join(dir, 'nics.json');
  const home = homeFor(state, '0123456789');
  assert.equal(home, join(dir, 'zerotier', 'zt-0123456789'));
  const f = {
    secret: 'aaaaaaaaaa:0:bb:cc',
    network: 'e83ccfbc55705b50',
    name: 'eth1',
    port: 9994,
    planet: Buffer.from('p'),
  };
  await makeHome(home, f);
  assert.deepEqual((await readdir(home)).sort(), [
    'devicemap',
    'identity.public',
    'identity.secret',
    'local.conf',
    'networks.d',
    'planet',
  ]);
  assert.equal((await stat(home)).mode & 0o777, 0o700);
  assert.equal((await stat(join(home, 'identity.secret'))).mode & 0o777, 0o600);
  assert.equal(await readFile(join(home, 'identity.public'), 'utf8'), 'aaaaaaaaaa:0:bb\n');
  assert.equal(await readFile(join(home, 'devicemap'), 'utf8'), 'e83ccfbc55705b50=eth1\n');
  assert.deepEqual(JSON.parse(await readFile(join(home, 'local.conf'), 'utf8')), {
    settings: { primaryPort: 9994, portMappingEnabled: false, allowTcpFallbackRelay: false, allowSecondaryPort: false },
  });
  assert.deepEqual(await readdir(join(home, 'networks.d')), ['e83ccfbc55705b50.conf']);
  await assert.rejects(makeHome(home, f), { code: 'EEXIST' });
  assert.ok(!isOurHome(state, dir), 'the state directory is not a home');
  assert.ok(!isOurHome(state, '/etc'), '/etc is not a home');
  await removeHome(state, dir, stderrLogger());
  assert.ok((await readdir(dir)).includes('zerotier'), 'not ours: left');
  await removeHome(state, home, stderrLogger());
  await removeHome(state, home, stderrLogger()); // gone: success
  assert.deepEqual(await readdir(join(dir, 'zerotier')), []);
});
