// Three chassis (chassis 1's plugin a daemon driven through the typed client, the others exec)
// and a central: containers on all three reach each other over Geneve; then faults, each with a
// ping every 10 ms running across them: ovn-controller restarted, NB and SB restarted, a chassis
// namespace removed whole. The survivors keep their traffic; the loss each costs is printed
// (t.diagnostic) and bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deleteNetns } from '../../../lib/netns.ts';
import { OvsPluginClient } from '../../../ovs-plugin/transports/client.ts';
import { runIn } from '../../helpers/netns.ts';
import { joinedChassis, NB, SB, startCentral, startChassis, until } from '../../helpers/ovn-world.ts';
import { startDaemon } from '../helpers.ts';
import { container, pings } from '../nics/helpers.ts';

/** Pings `addr` from `ns` every 10 ms, `n` times, while `during` runs; -> lost count. */
async function lossDuring(ns: string, addr: string, n: number, during: () => Promise<void>): Promise<number> {
  const p = runIn(ns, 'ping', ['-q', '-i', '0.01', '-W', '1', '-c', String(n), addr], {
    allowFailure: true,
    timeoutMs: 60000,
  });
  await during();
  const out = (await p).stdout;
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  assert.ok(m, out);
  return Number(m[1]) - Number(m[2]);
}

test('three chassis over Geneve; ovn-controller, NB/SB restarts and a lost chassis spare the survivors', async (t) => {
  const c = await startCentral(t);
  // Chassis 1: the daemon and its typed client.
  const a = await startChassis(t, c, 1);
  const d = await startDaemon(t, a.ovs, 'plugin.sock', { OVS_PLUGIN_STATE: a.state });
  const client = await OvsPluginClient.connect(d.socket);
  t.after(() => client.close());
  const joined = await client.fleetJoin({ nb: NB, sb: SB, encap_ip: a.encapIp, hostname: 'ch1' });
  assert.equal(joined.changed, true);
  await a.startController();
  await until('chassis 1 in the SB', async () => (await client.fleetStatus()).sb_seen === true);
  const [b, e] = await Promise.all([joinedChassis(t, c, 2), joinedChassis(t, c, 3)]);
  assert.deepEqual(await client.fleetNetworkEnsure({ name: 'blue' }), { name: 'blue', changed: true });

  const [c1, c2, c3] = [await container(t), await container(t), await container(t)];
  const r1 = await client.nicAttach({
    target: { netns: c1 },
    nic: { type: 'fleet', id: 'blue', config: { cidr: '10.80.0.1/24' } },
  });
  assert.equal(r1.bridge, 'br-int');
  for (const [ch, ns, ip] of [
    [b, c2, '10.80.0.2/24'],
    [e, c3, '10.80.0.3/24'],
  ] as const) {
    const r = await ch.call('nic.attach', {
      target: { netns: ns },
      nic: { type: 'fleet', id: 'blue', config: { cidr: ip } },
    });
    assert.equal(r.exitCode, 0, r.stdout);
  }
  for (const [from, to] of [
    [c1, '10.80.0.2'],
    [c1, '10.80.0.3'],
    [c2, '10.80.0.3'],
  ] as const)
    assert.ok(await pings(from, to), `${from} -> ${to}`);
  assert.equal((await client.nicCheck({ target: { netns: c1 }, name: 'eth0' })).ok, true);

  const restart = await lossDuring(c1, '10.80.0.2', 300, async () => {
    await b.stopController();
    await b.startController();
  });
  t.diagnostic(`ovn-controller restart on chassis 2: ${restart} of 300 pings lost (10 ms apart)`);
  assert.ok(restart <= 30, `lost ${restart}`);

  const dbs = await lossDuring(c1, '10.80.0.3', 300, () => c.restartDbs());
  t.diagnostic(`NB and SB restarted: ${dbs} of 300 pings lost`);
  assert.ok(dbs <= 30, `lost ${dbs}`);
  await until('chassis 1 sees the SB again', async () => (await client.fleetStatus()).sb_seen === true);
  // The daemon's NB client reconnected: a new network is made through it.
  assert.deepEqual(await client.fleetNetworkEnsure({ name: 'red' }), { name: 'red', changed: true });

  const gone = await lossDuring(c1, '10.80.0.2', 300, async () => {
    await e.stopController();
    await e.ovs.stop();
    await deleteNetns(e.ns);
  });
  t.diagnostic(`chassis 3 removed whole: ${gone} of 300 pings between chassis 1 and 2 lost`);
  assert.ok(gone <= 30, `lost ${gone}`);
  assert.equal(await pings(c1, '10.80.0.3', 1), false, 'the removed chassis is unreachable');
  assert.ok(await pings(c2, '10.80.0.1'));
});
