// Bad input stops dist/internet.js before it changes anything: exit 2, a message naming the
// key, flag or path, and the node namespace exactly as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../lib/exec.ts';
import { addNic, makeTopology, startDnsmasq } from '../helpers/topology.ts';
import { kernelHasVlanFiltering } from '../helpers/netns.ts';
import { bridge, listLinks } from '../../lib/ip.ts';
import { AGENT, agentEnv, netSnapshot, probeNamespacesOf, runAgentE2E, type AgentEnv } from '../helpers/agent-run.ts';
import type { TestContext } from 'node:test';

async function setup(t: TestContext, cmdline = ''): Promise<{ env: AgentEnv; before: string }> {
  const topo = await makeTopology(t);
  const good = await addNic(topo, 'eth1');
  await addNic(topo, 'eth2');
  await startDnsmasq(t, topo, good, { net: '10.65.1' });
  const env = await agentEnv(t, topo, cmdline);
  return { env, before: await netSnapshot(topo.node) };
}

async function assertUntouched(env: AgentEnv, before: string): Promise<void> {
  assert.equal(await netSnapshot(env.topo.node), before);
  assert.deepEqual(await probeNamespacesOf(env.topo.node), []);
  await assert.rejects(stat(join(env.zinitDir, 'dhcp-zos.yaml')), { code: 'ENOENT' });
  assert.ok(!env.zinit.commands.some((c) => /^(monitor|stop|forget|start)/.test(c)));
}

const cases: [string, string, RegExp][] = [
  ['malformed vlan:priv', 'vlan:priv=abc', /vlan:priv: "abc" is not a VLAN id/],
  ['vlan:pub out of range', 'vlan:pub=4095', /vlan:pub: "4095"/],
  ['ip= with a bad gateway', 'ip=10.65.1.9::10.65.1.300:255.255.255.0::eth1:off', /ip=: gateway "10.65.1.300"/],
  ['ip= naming a NIC that does not exist', 'ip=10.65.1.9::10.65.1.1:255.255.255.0::eth9:off', /ip=: device "eth9" does not exist/],
  ['zos.nic that is no name', 'zos.nic=a/b', /zos.nic: "a\/b"/],
];
for (const [what, cmdline, msg] of cases) {
  test(`kernel command line: ${what} -> exit 2, nothing changed`, async (t) => {
    const { env, before } = await setup(t, cmdline);
    const r = await runAgentE2E(env, ['eth1', 'eth2']);
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /bad-input code=EINVALID /);
    assert.match(r.out, msg);
    await assertUntouched(env, before);
  });
}

test('unknown --nics name -> exit 2 naming it, nothing changed', async (t) => {
  const { env, before } = await setup(t);
  const r = await runAgentE2E(env, ['eth1', 'nosuch0']);
  assert.equal(r.code, 2, r.out);
  assert.match(r.out, /bad-input code=EINVALID /);
  assert.match(r.out, /--nics: no link named "nosuch0"/);
  await assertUntouched(env, before);
});

test('--nics lo -> exit 2 with EINVALID, not retried, nothing changed', async (t) => {
  const { env, before } = await setup(t);
  const r = await runAgentE2E(env, ['lo']);
  assert.equal(r.code, 2, r.out);
  assert.match(r.out, /cannot-continue step=network code=EINVALID error="--nics: \\"lo\\" cannot carry/);
  assert.doesNotMatch(r.out, /retry step=network/);
  await assertUntouched(env, before);
});

test('zinit socket missing, not a socket, refusing -> exit 2 naming the path, nothing changed', async (t) => {
  const { env, before } = await setup(t);
  const missing = join(env.topo.dir, 'no-zinit.sock');
  const file = join(env.topo.dir, 'plain-file');
  await writeFile(file, '');
  const dead = join(env.topo.dir, 'dead.sock');
  await run('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', dead]);
  for (const [path, why] of [[missing, /does not exist/], [file, /is not a socket/], [dead, /refuses connections/]] as const) {
    const r = await runAgentE2E({ ...env, zinit: { ...env.zinit, path } }, ['eth1', 'eth2']);
    assert.equal(r.code, 2, r.out);
    assert.ok(r.out.includes(path), r.out);
    assert.match(r.out, /bad-input code=EZINITSOCKET /);
    assert.match(r.out, why);
  }
  await assertUntouched(env, before);
});

test('zinit dir not writable, unknown flag, missing value -> exit 2 naming it', async (t) => {
  const { env, before } = await setup(t);
  const ro = join(env.topo.dir, 'ro-file');
  await writeFile(ro, '');
  await chmod(ro, 0o400);
  const r = await runAgentE2E({ ...env, zinitDir: ro }, ['eth1']);
  assert.equal(r.code, 2, r.out);
  assert.match(r.out, /bad-input code=EINVALID error="--zinit-dir: .*ro-file is not a writable directory/);
  const flag = await run(process.execPath, [AGENT, '--nic', 'eth1'], { allowFailure: true });
  assert.equal(flag.exitCode, 2);
  assert.match(flag.stderr, /--nic: unknown flag/);
  const val = await run(process.execPath, [AGENT, 'run', '--cmdline'], { allowFailure: true });
  assert.equal(val.exitCode, 2);
  assert.match(val.stderr, /--cmdline: needs a value/);
  const st = await run(process.execPath, [AGENT, 'status', '--status', join(env.topo.dir, 'none.json')], { allowFailure: true });
  assert.equal(st.exitCode, 1);
  assert.match(st.stderr, /none.json: ENOENT/);
  await assertUntouched(env, before);
});

for (const [key, cmdline] of [['vlan:priv', 'vlan:priv=12'], ['vlan:pub', 'vlan:pub=20']] as const) {
  test(`${key} on a kernel without VLAN filtering: exit 3 naming it, no zos, no probe namespace`, async (t) => {
    if (await kernelHasVlanFiltering()) return t.skip('kernel has vlan_filtering: nothing to refuse');
    const { env } = await setup(t, cmdline);
    const r = await runAgentE2E(env, ['eth1', 'eth2']);
    assert.equal(r.code, 3, r.out);
    assert.match(r.out, /VLAN|vlan/);
    assert.deepEqual(await listLinks({ name: env.topo.node }, 'zos'), []);
    assert.deepEqual(await probeNamespacesOf(env.topo.node), []);
    for (const n of ['eth1', 'eth2']) assert.equal((await listLinks({ name: env.topo.node }, n))[0]?.master, undefined);
  });
}

test('vlan:pub on a kernel with VLAN filtering: online on the untagged network, the NIC carries vlan:pub tagged', async (t) => {
  if (!(await kernelHasVlanFiltering())) return t.skip('kernel refuses vlan_filtering');
  const { env } = await setup(t, 'vlan:pub=20');
  const r = await runAgentE2E(env, ['eth1', 'eth2']);
  assert.equal(r.code, 0, r.out);
  assert.equal((await listLinks({ name: env.topo.node }, 'zos'))[0]?.linkinfo?.info_data?.vlan_filtering, 1);
  const vlans = JSON.parse(await bridge({ name: env.topo.node }, ['-j', 'vlan', 'show', 'dev', 'eth1'])) as { vlans: { vlan: number }[] }[];
  assert.ok(vlans[0]?.vlans.some((v) => v.vlan === 20), JSON.stringify(vlans));
  assert.deepEqual(await probeNamespacesOf(env.topo.node), []);
});
