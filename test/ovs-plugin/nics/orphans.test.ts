// Orphans: nic.check {repair} racing nic.detach must never leave an OVS port no record holds
// (repair marks the record `repairing`, detach answers EBUSY meanwhile, and a repair of a nic
// being detached re-creates nothing); gc removes a port of ours with no record (and the host
// link of its name), and keeps ports that are not ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listLinks } from '../../../lib/ip.ts';
import { portsOf } from '../helpers.ts';
import { nics } from './crash.ts';
import { container, nicEnv } from './helpers.ts';

const ROUNDS = 60;

/** Ports of the switch tagged as a nic's (`zos-nic`), whatever their bridge. */
async function nicPorts(e: Awaited<ReturnType<typeof nicEnv>>): Promise<string[]> {
  const out = await e.ovs.vsctl('--format=csv', '--no-headings', '--columns=name,external_ids', 'list', 'Port');
  return out
    .split('\n')
    .filter((l) => l.includes('zos-nic'))
    .map((l) => l.split(',')[0]!.replace(/"/g, ''));
}

test(`${ROUNDS} rounds of nic.check {repair} racing nic.detach leave no orphan port`, async (t) => {
  const e = await nicEnv(t);
  const c1 = await container(t);
  const target = { netns: c1 };
  const answers = new Map<string, number>();
  for (let i = 0; i < ROUNDS; i++) {
    const a = await e.call('nic.attach', { target, nic: { type: 'vlan', id: 30, config: { cidr: '10.6.0.1/24' } } });
    assert.equal(a.exitCode, 0, a.stdout);
    await e.ovs.vsctl('del-port', 'vlbr30', a.value.host); // drift for the repair to work on
    const [fix, det] = await Promise.all([
      e.call('nic.check', { target, name: 'eth0', repair: true }),
      e.call('nic.detach', { target, name: 'eth0' }),
    ]);
    const k = `check ${fix.value?.code ?? 'ok'} / detach ${det.value?.code ?? 'ok'}`;
    answers.set(k, (answers.get(k) ?? 0) + 1);
    if (det.exitCode !== 0) {
      const again = await e.call('nic.detach', { target, name: 'eth0' });
      assert.equal(again.exitCode, 0, `round ${i}: detach once the repair is over: ${again.stdout}`);
    }
    assert.deepEqual(await nicPorts(e), [], `round ${i}: no port of a nic is left (${k})`);
    assert.deepEqual(await nics(e), [], `round ${i}: no record is left`);
    // A repair that lost the race answers that the nic is gone or busy, never a kernel error.
    assert.ok([undefined, 'EBUSY', 'ENOTFOUND'].includes(fix.value?.code), `round ${i}: check: ${fix.stdout}`);
    assert.ok([undefined, 'EBUSY'].includes(det.value?.code), `round ${i}: detach: ${det.stdout}`);
  }
  t.diagnostic(JSON.stringify([...answers]));
});

test(
  'gc removes a port of ours that no record holds (and its host link), ' + "keeps ports not ours and live nics' ports",
  async (t) => {
    const e = await nicEnv(t);
    const c1 = await container(t);
    const live = await e.call('nic.attach', {
      target: { netns: c1 },
      nic: { type: 'vlan', id: 30, config: { cidr: '10.6.0.1/24' } },
    });
    assert.equal(live.exitCode, 0, live.stdout);
    const orphan = 'nh0123456789';
    await e.ovs.vsctl(
      '--',
      'add-port',
      'backplane',
      orphan,
      '--',
      'set',
      'Port',
      orphan,
      'external_ids:zos-owner=ovs-plugin',
      'external_ids:zos-nic=gone/eth0',
    );
    const { ip } = await import('../../../lib/ip.ts');
    await ip({ name: e.host }, ['link', 'add', 'name', orphan, 'type', 'veth', 'peer', 'name', 'op0']);
    // Not ours: no owner tag (a nic key alone proves nothing), or no tag at all.
    await e.ovs.vsctl(
      '--',
      'add-port',
      'backplane',
      'foreign1',
      '--',
      'set',
      'Port',
      'foreign1',
      'external_ids:zos-nic=gone/eth1',
    );
    await e.ovs.vsctl('add-port', 'backplane', 'foreign2');
    const gc = await e.call('nic.gc', {});
    assert.equal(gc.exitCode, 0, gc.stdout);
    assert.deepEqual(gc.value.orphans, [orphan], gc.stdout);
    const ports = await portsOf(e.ovs, 'backplane');
    assert.ok(!ports.includes(orphan), 'the orphan port is gone');
    assert.ok(ports.includes('foreign1') && ports.includes('foreign2'), `ports not ours stay: ${ports}`);
    assert.ok((await portsOf(e.ovs, 'vlbr30')).includes(live.value.host), "the live nic's port stays");
    const links = (await listLinks({ name: e.host })).map((l) => l.ifname);
    assert.ok(!links.includes(orphan) && !links.includes('op0'), "the orphan's host link is gone");
    assert.ok(links.includes(live.value.host), "the live nic's host link stays");
    assert.equal((await nics(e)).length, 1);
  },
);
