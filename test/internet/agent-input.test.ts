// Bad input stops dist/internet.js before it changes anything: exit 2, a message naming the
// key, flag or path, and the node namespace exactly as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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
  await addNic(topo, 'eth3'); // exists, but not in --nics
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
  [
    'ip= naming a NIC that does not exist',
    'ip=10.65.1.9::10.65.1.1:255.255.255.0::eth9:off',
    /ip=: device "eth9" does not exist/,
  ],
  ['zos.nic that is no name', 'zos.nic=a/b', /zos.nic: "a\/b"/],
  ['zos.nic naming no link', 'zos.nic=eth7', /zos.nic: "eth7" matches no candidate/],
  ['zos.nic naming no MAC', 'zos.nic=02:00:00:00:00:99', /zos.nic: "02:00:00:00:00:99" matches no candidate/],
  ['ip= device lo', 'ip=10.65.1.9::10.65.1.1:255.255.255.0::lo:off', /ip=: device "lo" cannot carry/],
  ['ip= client 0.0.0.0', 'ip=0.0.0.0::10.65.1.1:255.255.255.0::eth1:off', /ip=: client "0.0.0.0"/],
  [
    'ip= gateway equal to the client',
    'ip=10.65.1.9::10.65.1.9:255.255.255.0::eth1:off',
    /ip=: gateway "10.65.1.9" is the host's own address/,
  ],
  ['ip= netmask 0.0.0.0', 'ip=10.65.1.9::10.65.1.1:0.0.0.0::eth1:off', /ip=: netmask "0.0.0.0" is \/0/],
  [
    'ip= client the broadcast address',
    'ip=10.65.1.255::10.65.1.1:255.255.255.0::eth1:off',
    /ip=: client 10.65.1.255 is the broadcast address/,
  ],
  ['ip= IPv6 unbracketed', 'ip=2001:db8::2::2001:db8::1:64:h:eth1:off', /ip=: .* unbracketed IPv6/],
  [
    'ip= device outside --nics',
    'ip=10.65.1.9::10.65.1.1:255.255.255.0::eth3:off',
    /ip=: device "eth3" is not one of --nics eth1,eth2/,
  ],
  [
    'ip= device contradicting zos.nic',
    'zos.nic=eth2 ip=10.65.1.9::10.65.1.1:255.255.255.0::eth1:off',
    /ip=: device "eth1" contradicts zos.nic=eth2/,
  ],
  ['a stray quote in our own key', `zos.nic="eth1 note=x`, /zos.nic: "\\"eth1"/],
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

test('a stray quote and unknown keys on the kernel command line: warned about, the node comes online', async (t) => {
  const { env } = await setup(t, `console=ttyS0 note=it's msg="unterminated zos.nics=typo quiet`);
  const r = await runAgentE2E(env, ['eth1', 'eth2']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /warn cmdline-ignored detail=.*unterminated/);
  assert.match(r.out, /warn cmdline-ignored detail=.*unknown key .*zos\.nics/);
  const s = JSON.parse(await readFile(env.status, 'utf8')) as { phase: string; nic: string };
  assert.deepEqual([s.phase, s.nic], ['online', 'eth1']);
  // The probe script went beside the status file (not /run/internet).
  assert.ok((await stat(join(dirname(env.status), 'udhcpc-probe.sh'))).isFile());
});

test('help, --help, -h: the usage on stdout, exit 0, nothing run', async () => {
  for (const argv of [['help'], ['--help'], ['-h'], ['run', '--help']]) {
    const r = await run(process.execPath, [AGENT, ...argv], { allowFailure: true });
    assert.equal(r.exitCode, 0, argv.join(' ') + r.stderr);
    assert.match(r.stdout, /^usage: internet /);
    assert.match(r.stdout, /Kernel command line/);
    assert.match(r.stdout, /Exit codes/);
    assert.equal(r.stderr, '');
  }
});

test('unknown --nics name -> exit 2 naming it, nothing changed', async (t) => {
  const { env, before } = await setup(t);
  const r = await runAgentE2E(env, ['eth1', 'nosuch0']);
  assert.equal(r.code, 2, r.out);
  assert.match(r.out, /bad-input code=EINVALID /);
  assert.match(r.out, /--nics: no link named "nosuch0"/);
  for (const [nics, re] of [[['lo', 'eth1'], /--nics: "lo" cannot carry/]] as const) {
    const again = await runAgentE2E(env, [...nics]);
    assert.equal(again.code, 2, again.out);
    assert.match(again.out, re);
  }
  await assertUntouched(env, before);
});

test('--nics lo -> exit 2 with EINVALID, not retried, nothing changed', async (t) => {
  const { env, before } = await setup(t);
  const r = await runAgentE2E(env, ['lo']);
  assert.equal(r.code, 2, r.out);
  // Refused by preflight (the same selection discovery makes), before anything is touched.
  assert.match(r.out, /bad-input code=EINVALID error="--nics: \\"lo\\" cannot carry/);
  assert.doesNotMatch(r.out, /retry step=network/);
  await assertUntouched(env, before);
});

test(
  'zinit socket missing, not a socket, ' +
    'refusing (after the bounded wait for zinit) -> exit 2 naming the path, nothing changed',
  async (t) => {
    const { env: env0, before } = await setup(t);
    const env = { ...env0, vars: { INTERNET_ZINIT_WAIT_MS: '800' } };
    const missing = join(env.topo.dir, 'no-zinit.sock');
    const file = join(env.topo.dir, 'plain-file');
    await writeFile(file, '');
    const dead = join(env.topo.dir, 'dead.sock');
    await run('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', dead]);
    for (const [path, why] of [
      [missing, /does not exist/],
      [file, /is not a socket/],
      [dead, /refuses connections/],
    ] as const) {
      const r = await runAgentE2E({ ...env, zinit: { ...env.zinit, path } }, ['eth1', 'eth2']);
      assert.equal(r.code, 2, r.out);
      assert.ok(r.out.includes(path), r.out);
      assert.match(r.out, /bad-input code=EZINITSOCKET /);
      assert.match(r.out, why);
      // Missing or refusing: zinit may not have bound it yet (it starts units first): waited for, then given up.
      if (path !== file) assert.match(r.out, /zinit-socket-wait .*upToMs=800/);
      else assert.doesNotMatch(r.out, /zinit-socket-wait/);
      if (path !== file) assert.ok(r.ms >= 800, `gave up after ${r.ms} ms`);
    }
    const bad = await runAgentE2E({ ...env, vars: { INTERNET_ZINIT_WAIT_MS: 'soon' } }, ['eth1']);
    assert.equal(bad.code, 2, bad.out);
    assert.match(bad.out, /INTERNET_ZINIT_WAIT_MS: "soon" is not 0\.\.600000/);
    await assertUntouched(env, before);
  },
);

test('zinit dir not writable, unknown flag, missing value -> exit 2 naming it', async (t) => {
  const { env, before } = await setup(t);
  const ro = join(env.topo.dir, 'ro-file');
  await writeFile(ro, '');
  await chmod(ro, 0o400);
  const r = await runAgentE2E({ ...env, zinitDir: ro }, ['eth1']);
  assert.equal(r.code, 2, r.out);
  assert.match(r.out, /bad-input code=EINVALID error="--zinit-dir: .*ro-file is not a writable directory/);
  // The probe script goes beside the status file: a directory that cannot be made is bad input.
  const bad = await runAgentE2E({ ...env, status: join(ro, 'status.json') }, ['eth1']);
  assert.equal(bad.code, 2, bad.out);
  assert.match(bad.out, /--status: .*ro-file is not a writable directory \((EEXIST|ENOTDIR)\)/);
  const flag = await run(process.execPath, [AGENT, '--nic', 'eth1'], { allowFailure: true });
  assert.equal(flag.exitCode, 2);
  assert.match(flag.stderr, /--nic: unknown flag/);
  const val = await run(process.execPath, [AGENT, 'run', '--cmdline'], { allowFailure: true });
  assert.equal(val.exitCode, 2);
  assert.match(val.stderr, /--cmdline: needs a value/);
  const st = await run(process.execPath, [AGENT, 'status', '--status', join(env.topo.dir, 'none.json')], {
    allowFailure: true,
  });
  assert.equal(st.exitCode, 1);
  assert.match(st.stderr, /none.json: ENOENT/);
  await assertUntouched(env, before);
});

for (const [key, cmdline] of [
  ['vlan:priv', 'vlan:priv=12'],
  ['vlan:pub', 'vlan:pub=20'],
] as const) {
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

test(
  'vlan:pub on a kernel with VLAN filtering: ' + 'online on the untagged network, the NIC carries vlan:pub tagged',
  async (t) => {
    if (!(await kernelHasVlanFiltering())) return t.skip('kernel refuses vlan_filtering');
    const { env } = await setup(t, 'vlan:pub=20');
    const r = await runAgentE2E(env, ['eth1', 'eth2']);
    assert.equal(r.code, 0, r.out);
    assert.equal((await listLinks({ name: env.topo.node }, 'zos'))[0]?.linkinfo?.info_data?.vlan_filtering, 1);
    const vlans = JSON.parse(await bridge({ name: env.topo.node }, ['-j', 'vlan', 'show', 'dev', 'eth1'])) as {
      vlans: { vlan: number }[];
    }[];
    assert.ok(
      vlans[0]?.vlans.some((v) => v.vlan === 20),
      JSON.stringify(vlans),
    );
    assert.deepEqual(await probeNamespacesOf(env.topo.node), []);
  },
);
