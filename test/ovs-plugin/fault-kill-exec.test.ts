// SIGKILL of the exec plugin at random moments during vlan-ensure and vxlan-ensure: OVSDB holds
// the old or the new state, never a half-built VLAN (v1: 0-core #206), and a retry succeeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { listLinks } from '../../lib/ip.ts';
import { commandIn } from '../../lib/netns.ts';
import { startOvs, type Ovs } from '../helpers/ovs.ts';
import { auditVlans } from './audit.ts';
import { BUNDLE, ensureBundle, execPlugin, pluginEnv } from './helpers.ts';

/** Starts one exec call and SIGKILLs it after `ms`; resolves with how it ended. */
function killAfter(ovs: Ovs, cmd: string, args: unknown, ms: number): Promise<string> {
  const p = spawn(...commandIn({ name: ovs.ns }, 'node', [BUNDLE, cmd, JSON.stringify(args)]), {
    env: pluginEnv(ovs),
    stdio: 'ignore',
  });
  const timer = setTimeout(() => p.kill('SIGKILL'), ms);
  return new Promise((r) =>
    p.once('exit', (code, sig) => {
      clearTimeout(timer);
      r(sig ?? `exit ${code}`);
    }),
  );
}

/** A private OVS with bridge `backplane` and VLAN 1, and how long that exec vlan-ensure took
 * (connect and transaction included): the span the kills are spread over. */
async function backplaneWithVlan1(t: Parameters<typeof startOvs>[0]): Promise<{ ovs: Ovs; span: number }> {
  await ensureBundle();
  const ovs = await startOvs(t);
  assert.equal((await execPlugin(ovs, 'bridge-add', { bridge: 'backplane' })).exitCode, 0);
  const t0 = performance.now();
  assert.equal((await execPlugin(ovs, 'vlan-ensure', { master: 'backplane', vlan: 1 })).exitCode, 0);
  return { ovs, span: performance.now() - t0 };
}

test('SIGKILL during vlan-ensure: old or new state, never half; the retry succeeds', async (t) => {
  const { ovs, span } = await backplaneWithVlan1(t);
  const outcomes: Record<string, number> = {};
  let newStates = 0;
  for (let i = 0; i < 24; i++) {
    const vlan = 10 + i;
    // Half the kills anywhere, half aimed at the end of the call where the transaction happens.
    const ms = i % 2 ? span * (0.6 + Math.random() * 0.45) : Math.random() * span * 1.1;
    const how = await killAfter(ovs, 'vlan-ensure', { master: 'backplane', vlan }, ms);
    outcomes[how] = (outcomes[how] ?? 0) + 1;
    const a = await auditVlans(ovs, 'backplane');
    assert.deepEqual(a.problems, [], `after kill #${i} (${how})`);
    if (a.complete.has(vlan)) newStates++;
    const r = await execPlugin(ovs, 'vlan-ensure', { master: 'backplane', vlan });
    assert.equal(r.exitCode, 0, r.stdout);
    assert.equal(r.value, `vlbr${vlan}`);
  }
  const a = await auditVlans(ovs, 'backplane');
  assert.deepEqual(a.problems, []);
  assert.equal(a.complete.size, 25);
  t.diagnostic(`outcomes ${JSON.stringify(outcomes)}; ${newStates} kills landed after the commit`);
  assert.ok((outcomes.SIGKILL ?? 0) > 0, 'some calls were really killed');
});

test('SIGKILL during vxlan-ensure: the retry succeeds and leaves no temporary device', async (t) => {
  await ensureBundle();
  const ovs = await startOvs(t);
  assert.equal((await execPlugin(ovs, 'bridge-add', { bridge: 'backplane' })).exitCode, 0);
  await execPlugin(ovs, 'set', { table: 'Interface', record: 'backplane', values: { mtu_request: '2000' } });
  const t0 = performance.now();
  assert.equal((await execPlugin(ovs, 'vxlan-ensure', { master: 'backplane', vxlan: 1 })).exitCode, 0);
  const span = performance.now() - t0;
  for (let i = 0; i < 12; i++) {
    const vni = 100 + i;
    await killAfter(ovs, 'vxlan-ensure', { master: 'backplane', vxlan: vni }, Math.random() * span * 1.1);
    const r = await execPlugin(ovs, 'vxlan-ensure', { master: 'backplane', vxlan: vni });
    assert.equal(r.exitCode, 0, r.stdout);
    assert.equal(r.value, `vxlbr${vni}`);
    assert.equal((await listLinks({ name: ovs.ns }, `vtmp${vni}`)).length, 0);
    assert.equal((await listLinks({ name: ovs.ns }, `vtep${vni}`))[0]?.linkinfo?.info_data?.id, vni);
    assert.equal(await ovs.vsctl('port-to-br', `vtep${vni}`), `vxlbr${vni}`);
  }
});

test('SIGKILL during vlan-del: the VLAN is whole or gone, and the retry succeeds', async (t) => {
  const { ovs, span } = await backplaneWithVlan1(t);
  for (let vlan = 2; vlan < 12; vlan++)
    assert.equal((await execPlugin(ovs, 'vlan-ensure', { master: 'backplane', vlan })).exitCode, 0);
  for (let vlan = 2; vlan < 12; vlan++) {
    await killAfter(ovs, 'vlan-del', { master: 'backplane', vlan }, span * (0.4 + Math.random() * 0.7));
    const a = await auditVlans(ovs, 'backplane');
    assert.deepEqual(a.problems, []);
    const r = await execPlugin(ovs, 'vlan-del', { master: 'backplane', vlan });
    assert.equal(r.exitCode, 0, r.stdout);
  }
  const a = await auditVlans(ovs, 'backplane');
  assert.deepEqual(a.problems, []);
  assert.deepEqual([...a.complete.keys()], [1]);
});
