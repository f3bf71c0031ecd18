// The zerotier nic on a private ZeroTier network (test/helpers/zerotier.ts: a root and controller
// of the test's own, two nodes each with its own plugin): a container on each node, with a
// `default` nic (its way to the root) and a `zerotier` nic, reaches the other (ping and TCP) over
// ZeroTier; wait_ms 0 answers with the node id, the controller admits it, check sees it OK;
// a killed member is repaired with its identity; detach leaves no process, TAP, home or record;
// a container that dies is cleaned by gc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { listLinks } from '../../../lib/ip.ts';
import { commandIn } from '../../../lib/netns.ts';
import { makeNetns } from '../../helpers/netns.ts';
import { until, ztNode, ztPidsUnder, ztWorld, type ZtNode } from '../../helpers/zerotier.ts';
import { pings, tcpEchoes } from './helpers.ts';

/** The homes under a node's state directory. */
const homes = async (n: ZtNode) => readdir(join(dirname(n.state), 'zerotier')).catch(() => [] as string[]);

/** A container on `n` with a default nic (NAT to the node's uplink, so to the root). */
async function containerOn(t: Parameters<typeof makeNetns>[0], n: ZtNode): Promise<string> {
  const c = await makeNetns(t, 'zc');
  const r = await n.call('nic.attach', { target: { netns: c }, nic: { type: 'default' } });
  assert.equal(r.exitCode, 0, r.stdout);
  return c;
}

const addr = (cidr: string) => cidr.split('/')[0]!;

test('zerotier: two containers on two nodes reach each other over ZeroTier; detach leaves nothing', async (t) => {
  const w = await ztWorld(t);
  const [n1, n2] = [await ztNode(t, w, 1), await ztNode(t, w, 2)];
  const [c1, c2] = [await containerOn(t, n1), await containerOn(t, n2)];
  const nwid = await w.network(17, true);
  const t0 = Date.now();
  const a1 = await n1.call('nic.attach', { target: { netns: c1 }, nic: { type: 'zerotier', id: nwid } });
  assert.equal(a1.exitCode, 0, a1.stdout);
  const a2 = await n2.call('nic.attach', { target: { netns: c2 }, nic: { type: 'zerotier', id: nwid, name: 'zt0' } });
  assert.equal(a2.exitCode, 0, a2.stdout);
  console.log(`two attaches answered OK in ${Date.now() - t0} ms`);
  assert.equal(a1.value.name, 'eth1');
  assert.equal(a2.value.name, 'zt0');
  for (const a of [a1.value, a2.value]) {
    assert.equal(a.network_status, 'OK');
    assert.match(a.node_id, /^[0-9a-f]{10}$/);
    assert.match(a.addresses[0], /^10\.147\.17\.\d+\/24$/);
    assert.equal(a.mtu, 2800);
  }
  const links = await listLinks({ name: c2 });
  assert.equal(links.find((l) => l.ifname === 'zt0')?.address, a2.value.hwaddr, 'the TAP has the answered MAC');
  assert.ok(await pings(c1, addr(a2.value.addresses[0]), 10), 'c1 pings c2 over ZeroTier');
  assert.ok(await pings(c2, addr(a1.value.addresses[0]), 3), 'c2 pings c1 over ZeroTier');
  assert.ok(await tcpEchoes(c2, addr(a2.value.addresses[0]), c1), 'TCP from c1 to c2 over ZeroTier');
  // list shows the status now; check is clean
  const l = await n1.call('nic.list', { target: { netns: c1 } });
  const zl = l.value.find((x: any) => x.type === 'zerotier');
  assert.equal(zl.network_status, 'OK');
  assert.equal(zl.node_id, a1.value.node_id);
  const ck = await n1.call('nic.check', { target: { netns: c1 }, name: 'eth1' });
  assert.equal(ck.exitCode, 0, ck.stdout);
  assert.deepEqual(ck.value.drift, []);
  // a killed member: drift, repaired with the same identity (so its address and authorization hold)
  const [pid] = await ztPidsUnder(dirname(n1.state));
  process.kill(pid!, 'SIGKILL');
  await until('member gone', 5000, async () => ((await ztPidsUnder(dirname(n1.state))).length ? undefined : true));
  const drift = await n1.call('nic.check', { target: { netns: c1 }, name: 'eth1' });
  assert.deepEqual(
    drift.value.drift.map((d: any) => d.what),
    ['member'],
  );
  const rep = await n1.call('nic.check', { target: { netns: c1 }, name: 'eth1', repair: true });
  assert.equal(rep.exitCode, 0, rep.stdout);
  assert.deepEqual(rep.value.drift, [], rep.stdout);
  assert.ok(await pings(c2, addr(a1.value.addresses[0]), 5), 'c2 pings c1 after the repair, same address');
  // detach: no process, no TAP, no home, no record
  for (const [n, c, name] of [
    [n1, c1, 'eth1'],
    [n2, c2, 'zt0'],
  ] as const) {
    const d = await n.call('nic.detach', { target: { netns: c }, name });
    assert.equal(d.exitCode, 0, d.stdout);
    assert.deepEqual(await ztPidsUnder(dirname(n.state)), [], 'no member left');
    assert.ok(!(await listLinks({ name: c })).some((x) => x.ifname === name), 'no TAP left');
    assert.deepEqual(await homes(n), [], 'no home left');
    const left = await n.call('nic.list', {});
    assert.deepEqual(
      left.value.map((x: any) => x.type),
      ['default'],
    );
  }
});

test('zerotier: wait_ms 0, then the controller admits the node id; a dead container is cleaned by gc', async (t) => {
  const w = await ztWorld(t);
  const n1 = await ztNode(t, w, 1);
  const nwid = await w.network(18);
  // A container that is a process: its namespace dies with it (the member would keep it alive).
  const proc = spawn(
    ...commandIn({ name: n1.ns }, 'unshare', ['--net', 'sh', '-c', 'ip link set lo up && exec sleep 600']),
    { stdio: 'ignore' },
  );
  t.after(() => {
    proc.kill('SIGKILL');
  });
  const target = { pid: proc.pid! };
  await until('the container has its namespace', 5000, async () =>
    (await n1.call('nic.attach', { target, nic: { type: 'default' } })).exitCode === 0 ? true : undefined,
  );
  const a = await n1.call('nic.attach', { target, nic: { type: 'zerotier', id: nwid, config: { wait_ms: 0 } } });
  assert.equal(a.exitCode, 0, a.stdout);
  assert.match(a.value.node_id, /^[0-9a-f]{10}$/);
  assert.notEqual(a.value.network_status, 'OK');
  assert.deepEqual(a.value.addresses, []);
  await w.authorize(nwid, a.value.node_id);
  const ck = await until(
    'check says OK once authorized',
    30_000,
    async () => {
      const c = await n1.call('nic.check', { target, name: a.value.name });
      return c.value.ok ? c.value : undefined;
    },
    500,
  );
  assert.deepEqual(ck.drift, []);
  const l = await n1.call('nic.list', { target });
  assert.equal(l.value.find((x: any) => x.type === 'zerotier').network_status, 'OK');
  // The container dies: gc stops its member and removes its home (the namespace is gone with the member).
  proc.kill('SIGKILL');
  await until('the container is gone', 5000, async () =>
    proc.exitCode !== null || proc.signalCode ? true : undefined,
  );
  const gc = await n1.call('nic.gc', {});
  assert.equal(gc.exitCode, 0, gc.stdout);
  assert.equal(gc.value.removed.length, 2, gc.stdout);
  assert.deepEqual(await ztPidsUnder(dirname(n1.state)), [], 'no member left');
  assert.deepEqual(await homes(n1), [], 'no home left');
  assert.deepEqual((await n1.call('nic.list', {})).value, []);
});
