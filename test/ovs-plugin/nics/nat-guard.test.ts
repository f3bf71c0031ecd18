// default nics are fenced (issue 16, finding 7): a nat0 port passes only its nic's recorded MAC
// and pool address; a default nic reaches the outside (the uplink of the default route) through
// NAT and nothing else of the host: not its other addresses, not a container on another host
// bridge, not another default nic; and check reports each broken piece of the NAT, repair and
// gc rewrite it. Every nft table lives in the test's own "host" namespace.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ip } from '../../../lib/ip.ts';
import { runIn } from '../../helpers/netns.ts';
import { container, nicEnv, pings, tcpEchoes, type NicEnv } from './helpers.ts';

/** The host with an uplink `w0` (10.99.0.1) to `world` (10.99.0.2, no route back to the pool) as its default route. */
async function withWorld(t: TestContext): Promise<{ e: NicEnv; world: string }> {
  const e = await nicEnv(t, { backplane: false });
  const world = await container(t);
  await ip({ name: e.host }, ['link', 'add', 'name', 'w0', 'type', 'veth', 'peer', 'name', 'w1', 'netns', world]);
  await ip({ name: e.host }, ['addr', 'add', '10.99.0.1/24', 'dev', 'w0']);
  await ip({ name: e.host }, ['link', 'set', 'w0', 'up']);
  await ip({ name: world }, ['addr', 'add', '10.99.0.2/24', 'dev', 'w1']);
  await ip({ name: world }, ['link', 'set', 'w1', 'up']);
  await ip({ name: e.host }, ['route', 'add', 'default', 'via', '10.99.0.2', 'dev', 'w0']);
  return { e, world };
}

const attachDefault = async (e: NicEnv, ns: string): Promise<string> => {
  const r = await e.call('nic.attach', { target: { netns: ns }, nic: { type: 'default' } });
  assert.equal(r.exitCode, 0, r.stdout);
  return r.value.addresses[0];
};

/** Two default nics, c1 (172.18.0.2) and c2 (172.18.0.3), c2 reaching the gateway. */
async function twoNics(t: TestContext): Promise<{ e: NicEnv; c1: string; c2: string }> {
  const { e } = await withWorld(t);
  const [c1, c2] = [await container(t), await container(t)];
  await attachDefault(e, c1);
  assert.equal(await attachDefault(e, c2), '172.18.0.3/16');
  assert.ok(await pings(c2, '172.18.0.1'), 'its own address and MAC pass');
  return { e, c1, c2 };
}

test('nat guard: a port passes only its own pool address (a spoofed source IP is dropped)', async (t) => {
  const { c1, c2 } = await twoNics(t);
  // Another pool address (nobody's): the host's ARP for it and the ping come from c2's port.
  await ip({ name: c2 }, ['addr', 'flush', 'dev', 'eth0']);
  await ip({ name: c2 }, ['addr', 'add', '172.18.0.50/16', 'dev', 'eth0']);
  await ip({ name: c2 }, ['route', 'add', 'default', 'via', '172.18.0.1']);
  assert.ok(!(await pings(c2, '172.18.0.1', 2)), 'a source address not its own is dropped');
  assert.ok(!(await pings(c2, '10.99.0.2', 2)), '... also towards the outside');
  await ip({ name: c2 }, ['addr', 'flush', 'dev', 'eth0']);
  await ip({ name: c2 }, ['addr', 'add', '172.18.0.3/16', 'dev', 'eth0']);
  await ip({ name: c2 }, ['route', 'add', 'default', 'via', '172.18.0.1']);
  assert.ok(await pings(c2, '10.99.0.2'), 'its own address again: passes');
  assert.ok(await pings(c1, '172.18.0.1'), 'the other nic is untouched');
});

test('nat guard: a port passes only its own MAC (a spoofed source MAC is dropped)', async (t) => {
  const { e, c1, c2 } = await twoNics(t);
  // Its own address from another MAC (the host forgets the old one first, so it asks again).
  await ip({ name: c2 }, ['link', 'set', 'dev', 'eth0', 'address', '02:00:00:00:99:99']);
  await ip({ name: e.host }, ['neigh', 'flush', 'dev', 'nat0']);
  assert.ok(!(await pings(c2, '172.18.0.1', 2)), 'a source MAC not its own is dropped');
  assert.ok(await pings(c1, '172.18.0.1'), 'the other nic is untouched');
});

test('nat guard: a default nic reaches no container on another host bridge, and none reaches it', async (t) => {
  const { e } = await withWorld(t);
  const [c1, c3] = [await container(t), await container(t)];
  // Another host bridge with a bridge nic's container on it (its gateway the host).
  await ip({ name: e.host }, ['link', 'add', 'name', 'brx', 'type', 'bridge']);
  await ip({ name: e.host }, ['addr', 'add', '10.98.0.1/24', 'dev', 'brx']);
  await ip({ name: e.host }, ['link', 'set', 'brx', 'up']);
  const b = await e.call('nic.attach', {
    target: { netns: c3 },
    nic: { type: 'bridge', id: 'brx', config: { cidr: '10.98.0.2/24', gateway: '10.98.0.1' } },
  });
  assert.equal(b.exitCode, 0, b.stdout);
  await attachDefault(e, c1);
  assert.ok(await pings(c1, '10.99.0.2'), 'the outside, through NAT');
  assert.ok(await pings(c3, '10.98.0.1'), 'the bridge nic works');
  assert.ok(!(await pings(c1, '10.98.0.2', 2)), 'no container on another host bridge');
  assert.ok(!(await pings(c3, '172.18.0.2', 2)), 'nor from it into the pool');
});

test('nat guard: a default nic reaches nothing of the host but ICMP echo of its gateway', async (t) => {
  const { e } = await withWorld(t);
  const c1 = await container(t);
  await ip({ name: e.host }, ['link', 'add', 'name', 'brx', 'type', 'bridge']);
  await ip({ name: e.host }, ['addr', 'add', '10.98.0.1/24', 'dev', 'brx']);
  await ip({ name: e.host }, ['link', 'set', 'brx', 'up']);
  await attachDefault(e, c1);
  assert.ok(await pings(c1, '172.18.0.1'), 'the gateway answers ping');
  assert.ok(!(await pings(c1, '10.98.0.1', 2)), 'no other address of the host (brx)');
  assert.ok(!(await pings(c1, '10.99.0.1', 2)), 'no other address of the host (uplink)');
  assert.ok(!(await tcpEchoes(e.host, '172.18.0.1', c1)), 'no service of the host on the gateway address either');
});

test('nat guard: default nics are isolated from each other, on nat0 and routed through the host', async (t) => {
  const { c1 } = await twoNics(t);
  assert.ok(!(await pings(c1, '172.18.0.3', 2)), 'no other default nic on nat0');
  await ip({ name: c1 }, ['route', 'add', '172.18.0.3/32', 'via', '172.18.0.1']);
  assert.ok(!(await pings(c1, '172.18.0.3', 2)), '... nor routed through the host');
});

test("nat guard: concurrent attaches all pass, detach removes a nic's guard", async (t) => {
  const { e } = await withWorld(t);
  const cs = [await container(t), await container(t), await container(t)];
  const rs = await Promise.all(
    cs.map((ns) => e.call('nic.attach', { target: { netns: ns }, nic: { type: 'default' } })),
  );
  for (const r of rs) assert.equal(r.exitCode, 0, r.stdout);
  for (const ns of cs) assert.ok(await pings(ns, '10.99.0.2'), `${ns} reaches the outside`);
  assert.equal((await e.call('nic.detach', { target: { netns: cs[0] }, name: 'eth0' })).exitCode, 0);
  const set = (await runIn(e.host, 'nft', ['list', 'set', 'bridge', 'zos_nat', 'ip4'])).stdout;
  const [gone, ...kept] = rs.map((r) => ` ${r.value.addresses[0].split('/')[0]}`);
  assert.ok(!set.includes(`${gone!}\n`) && !set.includes(`${gone!},`) && !set.includes(`${gone!} `), set);
  for (const a of kept) assert.ok(set.includes(a), set);
  assert.ok(await pings(cs[1]!, '10.99.0.2'), 'the others still pass');
});

test('nat check: reports each broken piece of the NAT, repair restores it, gc follows the default route', async (t) => {
  const { e, world } = await withWorld(t);
  const c1 = await container(t);
  await attachDefault(e, c1);
  const target = { netns: c1 };
  const check = async (repair = false) => (await e.call('nic.check', { target, name: 'eth0', repair })).value;
  assert.deepEqual(await check(), { ok: true, drift: [], repaired: [] });
  const nft = (...args: string[]) => runIn(e.host, 'nft', args);
  const breaks: [string, () => Promise<unknown>, string[]][] = [
    ['nat table deleted', () => nft('delete', 'table', 'ip', 'zos_nat'), ['nat-rules']],
    ['guard table deleted', () => nft('delete', 'table', 'bridge', 'zos_nat'), ['nat-rules']],
    ['a rule added', () => nft('insert', 'rule', 'bridge', 'zos_nat', 'prerouting', 'accept'), ['nat-rules']],
    ['forwarding off', () => runIn(e.host, 'sysctl', ['-qw', 'net.ipv4.ip_forward=0']), ['ip_forward']],
    ['nat0 without its address', () => ip({ name: e.host }, ['addr', 'flush', 'dev', 'nat0']), ['nat0-address']],
    ['nat0 down', () => ip({ name: e.host }, ['link', 'set', 'nat0', 'down']), ['nat0-up']],
  ];
  for (const [what, breakIt, want] of breaks) {
    await breakIt();
    const c = await check();
    assert.equal(c.ok, false, `${what}: ${JSON.stringify(c)}`);
    assert.deepEqual(
      c.drift.map((d: { what: string }) => d.what),
      want,
      what,
    );
    const r = await check(true);
    assert.deepEqual(
      [r.ok, r.repaired.map((d: { what: string }) => d.what)],
      [true, want],
      `${what}: ${JSON.stringify(r)}`,
    );
    assert.ok(await pings(c1, '10.99.0.2'), `${what}: repaired, the outside answers`);
  }
  // The default route moves to another link: the rules are stale; gc rewrites them.
  await ip({ name: e.host }, ['link', 'add', 'name', 'w2', 'type', 'veth', 'peer', 'name', 'w3', 'netns', world]);
  await ip({ name: e.host }, ['addr', 'add', '10.96.0.1/24', 'dev', 'w2']);
  await ip({ name: e.host }, ['link', 'set', 'w2', 'up']);
  await ip({ name: world }, ['addr', 'add', '10.96.0.2/24', 'dev', 'w3']);
  await ip({ name: world }, ['link', 'set', 'w3', 'up']);
  await ip({ name: e.host }, ['route', 'replace', 'default', 'via', '10.96.0.2', 'dev', 'w2']);
  assert.deepEqual(
    (await check()).drift.map((d: { what: string }) => d.what),
    ['nat-rules'],
    'rules for the old uplink',
  );
  assert.equal((await e.call('nic.gc', {})).exitCode, 0);
  assert.deepEqual(await check(), { ok: true, drift: [], repaired: [] });
  assert.ok(await pings(c1, '10.96.0.2'), 'through the new uplink');
});
