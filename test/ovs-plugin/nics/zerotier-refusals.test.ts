// zerotier nic refusals change nothing (the node's and the container's links, the state file,
// the members' homes, no zerotier-one left): an id that is not 16 hex digits, a KVM target, a
// name taken, a second nic of one network in one target, no zerotier-one, an unreadable planet, a
// target whose lo is down; and a private network that does not admit the member fails with
// EZTJOIN ACCESS_DENIED once the wait is over, with everything undone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { listLinks } from '../../../lib/ip.ts';
import { makeNetns } from '../../helpers/netns.ts';
import { ztNode, ztPidsUnder, ztWorld, type ZtNode } from '../../helpers/zerotier.ts';

/**
 * What a refusal must leave as it was. The joining member's own TAP (`zt0`) is compared by name
 * and MAC only: zerotier-one sets it up on its own schedule, whatever the refusals do.
 */
async function snapshot(n: ZtNode, ...containers: string[]): Promise<string> {
  const links = async (ns: string) =>
    (await listLinks({ name: ns }))
      .map((l) => `${l.ifname} ${l.address}${l.ifname === 'zt0' ? '' : ` ${l.flags.includes('UP')}`}`)
      .sort();
  return JSON.stringify({
    node: await links(n.ns),
    containers: await Promise.all(containers.map(links)),
    state: await readFile(n.state, 'utf8').catch(() => ''),
    homes: await readdir(join(dirname(n.state), 'zerotier')).catch(() => []),
    members: (await ztPidsUnder(dirname(n.state))).length,
  });
}

test('zerotier refusals: code and field, nothing changed', async (t) => {
  const w = await ztWorld(t);
  const n = await ztNode(t, w, 1);
  const c = await makeNetns(t, 'zc');
  const d = await n.call('nic.attach', { target: { netns: c }, nic: { type: 'default' } });
  assert.equal(d.exitCode, 0, d.stdout);
  const closed = await w.network(19);
  // One member joining (wait_ms 0, never admitted), so the records and homes are not empty.
  const j = await n.call('nic.attach', {
    target: { netns: c },
    nic: { type: 'zerotier', id: closed, name: 'zt0', config: { wait_ms: 0 } },
  });
  assert.equal(j.exitCode, 0, j.stdout);
  const loDown = await makeNetns(t, 'zd');
  await (await import('../../../lib/ip.ts')).ip({ name: loDown }, ['link', 'set', 'lo', 'down']);
  const before = await snapshot(n, c, loDown);
  const nic = (x: object = {}) => ({ type: 'zerotier', id: closed, ...x });
  const cases: [string, unknown, Record<string, string>, string, string][] = [
    ['id of 15 hex digits', { target: { netns: c }, nic: nic({ id: closed.slice(1) }) }, {}, 'EINVALID', 'nic.id'],
    ['id not hex', { target: { netns: c }, nic: nic({ id: 'z'.repeat(16) }) }, {}, 'EINVALID', 'nic.id'],
    ['id a number', { target: { netns: c }, nic: nic({ id: 1234 }) }, {}, 'EINVALID', 'nic.id'],
    ['a KVM target', { target: { kvm: 'vm1' }, nic: nic() }, {}, 'EINVALID', 'nic.type'],
    [
      'a name taken',
      { target: { netns: c }, nic: nic({ id: 'abcdef0123456789', name: 'eth0' }) },
      {},
      'EEXIST',
      'nic.name',
    ],
    ['the same network twice', { target: { netns: c }, nic: nic({ name: 'zt1' }) }, {}, 'EEXIST', 'nic.id'],
    ['mtu', { target: { netns: c }, nic: nic({ mtu: 1400 }) }, {}, 'EINVALID', 'nic.mtu'],
    ['root', { target: { netns: c }, nic: nic({ root: '/tmp' }) }, {}, 'EINVALID', 'nic.root'],
    [
      'no zerotier-one at ZEROTIER_ONE',
      { target: { netns: c }, nic: nic({ id: 'abcdef0123456789' }) },
      { ZEROTIER_ONE: '/nonexistent/zerotier-one' },
      'EUNSUPPORTED',
      'nic.type',
    ],
    [
      'no zerotier-one on PATH',
      { target: { netns: c }, nic: nic({ id: 'abcdef0123456789' }) },
      { ZEROTIER_ONE: '', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      'EUNSUPPORTED',
      'nic.type',
    ],
    [
      'an unreadable planet',
      { target: { netns: c }, nic: nic({ id: 'abcdef0123456789' }) },
      { ZEROTIER_PLANET: join(w.dir, 'no-planet') },
      'EINVALID',
      'ZEROTIER_PLANET',
    ],
    ['a target whose lo is down', { target: { netns: loDown }, nic: nic() }, {}, 'EINVALID', 'target.netns'],
  ];
  for (const [what, args, env, code, field] of cases) {
    const r = await n.call('nic.attach', args, env);
    assert.equal(r.exitCode, 1, `${what}: ${r.stdout}`);
    assert.equal(r.value.code, code, `${what}: ${r.stdout}`);
    assert.equal(r.value.field, field, `${what}: ${r.stdout}`);
    assert.equal(await snapshot(n, c, loDown), before, `${what}: nothing changed`);
  }
  // A network that does not admit the member: ACCESS_DENIED once the wait is over, all undone.
  const t0 = Date.now();
  const denied = await n.call('nic.attach', {
    target: { netns: c },
    nic: { type: 'zerotier', id: await w.network(20), config: { wait_ms: 8000 } },
  });
  assert.equal(denied.exitCode, 1, denied.stdout);
  assert.equal(denied.value.code, 'EZTJOIN', denied.stdout);
  assert.equal(denied.value.field, 'nic.id', denied.stdout);
  assert.match(denied.value.message, / is ACCESS_DENIED for node [0-9a-f]{10} /, denied.stdout);
  assert.ok(Date.now() - t0 >= 8000, 'it waited');
  assert.equal(await snapshot(n, c, loDown), before, 'nothing left of the denied member');
});
