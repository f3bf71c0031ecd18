// 200 commands from 20 concurrent clients over overlapping VLANs: every one answered, the final
// switch exactly what was asked, no duplicate or orphan ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OvsPluginClient } from '../../ovs-plugin/transports/client.ts';
import { startOvs } from '../helpers/ovs.ts';
import { auditVlans } from './audit.ts';
import { ensureBundle, portsOf, startDaemon } from './helpers.ts';

test('200 concurrent commands from 20 clients over overlapping VLANs', async (t) => {
  await ensureBundle();
  const ovs = await startOvs(t);
  const d = await startDaemon(t, ovs);
  const clients = await Promise.all(Array.from({ length: 20 }, () => OvsPluginClient.connect(d.socket)));
  t.after(() => {
    for (const c of clients) c.close();
  });
  await clients[0]!.bridgeAdd({ bridge: 'backplane', may_exist: true });

  const expectPorts = new Map<string, string[]>();
  const vlansAsked = new Set<number>();
  const plan = clients.map((_, i) =>
    Array.from({ length: 5 }, (_, k) => ({ vlan: ((i * 7 + k * 3) % 25) + 1, port: `c${i}p${k}` })),
  );
  for (const steps of plan)
    for (const s of steps) {
      vlansAsked.add(s.vlan);
      expectPorts.set(`vlbr${s.vlan}`, [...(expectPorts.get(`vlbr${s.vlan}`) ?? []), s.port]);
    }
  let answered = 0;
  await Promise.all(
    clients.map(async (c, i) => {
      for (const s of plan[i]!) {
        assert.equal(await c.vlanEnsure({ master: 'backplane', vlan: s.vlan }), `vlbr${s.vlan}`);
        assert.equal(await c.portAdd({ bridge: `vlbr${s.vlan}`, port: s.port }), null);
        answered += 2;
      }
    }),
  );
  assert.equal(answered, 200);

  const a = await auditVlans(ovs, 'backplane');
  assert.deepEqual(a.problems, []);
  assert.deepEqual(
    [...a.complete.keys()].sort((x, y) => x - y),
    [...vlansAsked].sort((x, y) => x - y),
  );
  // Fake bridges (the default layout): every VLAN and nic port is a port of backplane; ovs-vsctl
  // lists each port under the VLAN bridge of its tag.
  assert.deepEqual(
    a.bridges.get('backplane'),
    ['backplane', ...[...vlansAsked].map((v) => `vlbr${v}`), ...[...expectPorts.values()].flat()].sort(),
  );
  for (const [br, ports] of expectPorts) assert.deepEqual(await portsOf(ovs, br), [...ports].sort(), br);
  assert.equal(a.bridges.size, 1);
});
