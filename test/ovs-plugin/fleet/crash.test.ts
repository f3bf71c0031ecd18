// The fleet kind under SIGKILL at each of its attach and detach steps (the steps of
// test/ovs-plugin/nics/crash.ts STEPS.fleet), then nic.gc: the cut-short attach is undone, the
// cut-short detach finished, and nothing is left of it (host and target links, br-int's ports,
// the logical port in the NB, the record), while a peer nic attached throughout keeps working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listLinks } from '../../../lib/ip.ts';
import { joinedChassis, startCentral, type Central, type Chassis } from '../../helpers/ovn-world.ts';
import { runIn } from '../../helpers/netns.ts';
import { BUNDLE, pluginEnv } from '../helpers.ts';
import { STEPS } from '../nics/crash.ts';
import { container, pings } from '../nics/helpers.ts';

/** What a cut-short attach or detach must not leave behind. */
async function snapshot(c: Central, ch: Chassis, ...nss: string[]): Promise<string> {
  const links = async (n: string) => (await listLinks({ name: n })).map((l) => `${l.ifname} ${l.address}`).sort();
  return JSON.stringify({
    links: await Promise.all([ch.ns, ...nss].map(links)),
    ports: (await ch.ovs.vsctl('list-ports', 'br-int')).split('\n').sort(),
    lsps: (await c.nbctl('--bare', '--columns=name', 'list', 'Logical_Switch_Port')).split('\n').sort(),
    state: JSON.parse(await readFile(ch.state, 'utf8').catch(() => '{"nics":[]}')).nics.map(
      (r: { key: string }) => r.key,
    ),
  });
}

async function killedAt(ch: Chassis, step: string, cmd: string, args: unknown): Promise<void> {
  const r = await runIn(ch.ns, 'node', [BUNDLE, cmd, JSON.stringify(args)], {
    env: { ...pluginEnv(ch.ovs), OVS_PLUGIN_STATE: ch.state, OVS_PLUGIN_FAILPOINT: step },
    allowFailure: true,
    timeoutMs: 30000,
  }).catch((err) => err);
  assert.equal(r.signal, 'SIGKILL', `${cmd} killed at ${step}: ${JSON.stringify(r.stdout ?? r.message)}`);
}

test('fleet: SIGKILL at every attach and detach step, then gc -> attached or nothing', async (t) => {
  const c = await startCentral(t);
  const ch = await joinedChassis(t, c, 1);
  assert.equal((await ch.call('fleet.network-ensure', { name: 'blue' })).exitCode, 0);
  const [c1, peer] = [await container(t), await container(t)];
  const root = join(ch.ovs.dir, 'root');
  await mkdir(join(root, 'etc'), { recursive: true });
  const p = await ch.call('nic.attach', {
    target: { netns: peer },
    nic: { type: 'fleet', id: 'blue', config: { cidr: '10.7.0.2/24' } },
  });
  assert.equal(p.exitCode, 0, p.stdout);
  const nothing = await snapshot(c, ch, c1, peer);
  const target = { netns: c1 };
  // One MAC throughout: OVN answers ARP for its ports itself, so the peer would keep a new
  // attach's predecessor's MAC for the same address until its neighbour entry expires.
  const nic = {
    type: 'fleet',
    id: 'blue',
    hwaddr: '02:00:00:00:0f:01',
    root,
    config: { cidr: '10.7.0.1/24', dns: ['10.7.0.53'] },
  };
  for (const step of STEPS.fleet.attach) {
    await killedAt(ch, step, 'nic.attach', { target, nic });
    const gc = await ch.call('nic.gc', {});
    assert.equal(gc.exitCode, 0, gc.stdout);
    assert.equal(gc.value.undone.length, 1, `${step}: gc undid the cut-short attach: ${gc.stdout}`);
    assert.equal(await snapshot(c, ch, c1, peer), nothing, `${step}: nothing left`);
  }
  for (const step of STEPS.fleet.detach) {
    const a = await ch.call('nic.attach', { target, nic });
    assert.equal(a.exitCode, 0, a.stdout);
    assert.ok(await pings(c1, '10.7.0.2'), `${step}: the attached nic carries traffic`);
    await killedAt(ch, step, 'nic.detach', { target, name: 'eth0' });
    const gc = await ch.call('nic.gc', {});
    assert.equal(gc.value.finished.length, 1, `${step}: gc finished the detach: ${gc.stdout}`);
    assert.equal(await snapshot(c, ch, c1, peer), nothing, `${step}: nothing left`);
  }
  assert.equal((await ch.call('nic.check', { target: { netns: peer }, name: 'eth0' })).value.ok, true);
});
