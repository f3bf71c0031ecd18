// bridge nics: a veth whose host end is a port of an existing Linux bridge; config inside
// (cidr, gateway, dns into <root>/etc/resolv.conf); a {pid} target; detach leaves nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ip } from '../../../lib/ip.ts';
import { commandIn } from '../../../lib/netns.ts';
import { container, nicEnv, pings } from './helpers.ts';

test(
  'bridge: ping the host through its Linux bridge; ' +
    'gateway, dns, name, hwaddr, mtu; pid target; detach leaves nothing',
  async (t) => {
    const e = await nicEnv(t, { backplane: false });
    await ip({ name: e.host }, ['link', 'add', 'name', 'br0', 'address', '02:00:00:00:0b:01', 'type', 'bridge']);
    await ip({ name: e.host }, ['addr', 'add', '10.8.0.1/24', 'dev', 'br0']);
    await ip({ name: e.host }, ['link', 'set', 'br0', 'up']);
    const c1 = await container(t);
    const root = await mkdtemp(join(tmpdir(), 'root-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    await mkdir(join(root, 'etc'));
    await writeFile(join(root, 'etc', 'resolv.conf'), 'nameserver 10.8.0.53\n');
    const before = await e.snapshot(c1);
    const resolvBefore = await readFile(join(root, 'etc', 'resolv.conf'), 'utf8');

    const nic = {
      type: 'bridge',
      id: 'br0',
      name: 'lan',
      hwaddr: '02:00:00:aa:bb:01',
      mtu: 1400,
      root,
      config: { cidr: '10.8.0.2/24', gateway: '10.8.0.1', dns: ['10.8.0.53', '10.8.0.54'] },
    };
    const r = await e.call('nic.attach', { target: { netns: c1 }, nic });
    assert.equal(r.exitCode, 0, r.stdout);
    assert.deepEqual(
      { ...r.value, host: undefined },
      {
        name: 'lan',
        host: undefined,
        hwaddr: '02:00:00:aa:bb:01',
        mtu: 1400,
        bridge: 'br0',
        addresses: ['10.8.0.2/24'],
      },
    );
    assert.ok(await pings(c1, '10.8.0.1'), 'the host answers through br0');
    const route = await ip({ name: c1 }, ['-j', 'route', 'show', 'default']);
    assert.deepEqual(
      JSON.parse(route).map((x: any) => [x.gateway, x.dev, x.metric]),
      [['10.8.0.1', 'lan', 1000]],
    );
    assert.equal(
      await readFile(join(root, 'etc', 'resolv.conf'), 'utf8'),
      'nameserver 10.8.0.53\nnameserver 10.8.0.54\n',
      'only the missing server added',
    );

    // A process's namespace as the target: /proc/<pid>/ns/net.
    const sleeper = spawn(...commandIn({ name: c1 }, 'sleep', ['60']), { stdio: 'ignore' });
    t.after(() => {
      sleeper.kill('SIGKILL');
    });
    await new Promise((res) => setTimeout(res, 100));
    const p = await e.call('nic.attach', {
      target: { pid: sleeper.pid },
      nic: { type: 'bridge', id: 'br0', config: { cidr: '10.8.0.3/24' } },
    });
    assert.equal(p.exitCode, 0, p.stdout);
    assert.equal(p.value.name, 'eth0', 'the lowest free eth<n>');
    assert.ok(await pings(c1, '10.8.0.1'));

    assert.equal((await e.call('nic.detach', { target: { pid: sleeper.pid }, name: 'eth0' })).exitCode, 0);
    assert.equal((await e.call('nic.detach', { target: { netns: c1 }, name: 'lan' })).exitCode, 0);
    assert.equal(await readFile(join(root, 'etc', 'resolv.conf'), 'utf8'), resolvBefore);
    const after = JSON.parse(await e.snapshot(c1));
    assert.deepEqual(after.state, []);
    assert.deepEqual({ ...after, state: undefined }, { ...JSON.parse(before), state: undefined });
  },
);

test('bridge: attach, list, check, detach and gc through exec with no OVSDB to reach', async (t) => {
  const e = await nicEnv(t, { backplane: false });
  await ip({ name: e.host }, ['link', 'add', 'name', 'br0', 'type', 'bridge']);
  await ip({ name: e.host }, ['link', 'set', 'br0', 'up']);
  const c1 = await container(t);
  // Nothing listens there: a command that connected would fail (after its 10 s wait).
  const down = { OVS_DB: `unix:${join(e.ovs.dir, 'no-such-db.sock')}` };
  const target = { netns: c1 };
  const a = await e.call(
    'nic.attach',
    { target, nic: { type: 'bridge', id: 'br0', config: { cidr: '10.8.0.2/24' } } },
    down,
  );
  assert.equal(a.exitCode, 0, a.stdout);
  assert.equal((await e.call('nic.list', {}, down)).value.length, 1);
  const c = await e.call('nic.check', { target, name: 'eth0' }, down);
  assert.equal(c.exitCode, 0, c.stdout);
  assert.equal(c.value.ok, true, c.stdout);
  assert.equal((await e.call('nic.gc', {}, down)).exitCode, 0);
  assert.equal((await e.call('nic.detach', { target, name: 'eth0' }, down)).exitCode, 0);
  assert.deepEqual((await e.call('nic.list', {}, down)).value, []);
});
