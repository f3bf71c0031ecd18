// SIGKILL of the daemon while many commands are in flight: OVSDB holds whole VLANs only, and the
// same commands sent to a restarted daemon all succeed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listLinks } from '../../lib/ip.ts';
import { OvsPluginClient } from '../../ovs-plugin/transports/client.ts';
import { startOvs } from '../helpers/ovs.ts';
import { auditVlans } from './audit.ts';
import { ensureBundle, execPlugin, startDaemon } from './helpers.ts';

test('SIGKILL of the daemon mid-batch: never a half-built VLAN; a restarted daemon completes retries', async (t) => {
  await ensureBundle();
  const ovs = await startOvs(t);
  assert.equal((await execPlugin(ovs, 'bridge-add', { bridge: 'backplane' })).exitCode, 0);
  let next = 1;
  for (let round = 0; round < 4; round++) {
    const d = await startDaemon(t, ovs, 'plugin.sock');
    const clients = await Promise.all([1, 2, 3].map(() => OvsPluginClient.connect(d.socket)));
    const vlans = Array.from({ length: 30 }, () => next++);
    const calls = vlans.map((vlan, i) => clients[i % 3]!.vlanEnsure({ master: 'backplane', vlan }));
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 60));
    d.proc.kill('SIGKILL');
    const settled = await Promise.allSettled(calls);
    await d.exited;
    const a = await auditVlans(ovs, 'backplane');
    assert.deepEqual(a.problems, [], `round ${round}`);
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled') assert.ok(a.complete.has(vlans[i]!), `answered vlan ${vlans[i]} is complete`);
    });
    t.diagnostic(
      `round ${round}: ${settled.filter((s) => s.status === 'fulfilled').length} answered before the kill,` +
        ` ${a.complete.size} vlans complete`,
    );
    // Same path: the killed daemon's socket file is stale and must be replaced.
    const d2 = await startDaemon(t, ovs, 'plugin.sock');
    const c = await OvsPluginClient.connect(d2.socket);
    const retried = await Promise.all(vlans.map((vlan) => c.vlanEnsure({ master: 'backplane', vlan })));
    assert.deepEqual(
      retried,
      vlans.map((v) => `vlbr${v}`),
    );
    c.close();
    d2.proc.kill('SIGTERM');
    assert.equal(await d2.exited, 0);
  }
  const a = await auditVlans(ovs, 'backplane');
  assert.deepEqual(a.problems, []);
  assert.equal(a.complete.size, next - 1);
});

test(
  'SIGKILL of the daemon during vxlan-ensure: ' +
    'the retries through a new daemon succeed, no temporary devices remain',
  async (t) => {
    await ensureBundle();
    const ovs = await startOvs(t);
    assert.equal((await execPlugin(ovs, 'bridge-add', { bridge: 'backplane' })).exitCode, 0);
    await execPlugin(ovs, 'set', { table: 'Interface', record: 'backplane', values: { mtu_request: '2000' } });
    let next = 100;
    for (let round = 0; round < 3; round++) {
      const d = await startDaemon(t, ovs, 'plugin.sock');
      const c = await OvsPluginClient.connect(d.socket);
      const vnis = Array.from({ length: 8 }, () => next++);
      const calls = vnis.map((vxlan) => c.vxlanEnsure({ master: 'backplane', vxlan }));
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 150));
      d.proc.kill('SIGKILL');
      await Promise.allSettled(calls);
      await d.exited;
      const d2 = await startDaemon(t, ovs, 'plugin.sock');
      const c2 = await OvsPluginClient.connect(d2.socket);
      assert.deepEqual(
        await Promise.all(vnis.map((vxlan) => c2.vxlanEnsure({ master: 'backplane', vxlan }))),
        vnis.map((v) => `vxlbr${v}`),
      );
      c2.close();
      d2.proc.kill('SIGTERM');
      await d2.exited;
      const links = (await listLinks({ name: ovs.ns })).map((l) => l.ifname);
      assert.deepEqual(
        links.filter((n) => n.startsWith('vtmp')),
        [],
        'no temporary device left',
      );
      for (const v of vnis) assert.ok(links.includes(`vtep${v}`), `vtep${v}`);
    }
    for (let v = 100; v < next; v++) assert.equal(await ovs.vsctl('port-to-br', `vtep${v}`), `vxlbr${v}`);
  },
);
