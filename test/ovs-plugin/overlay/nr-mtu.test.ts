// The NR's MTU follows the underlay: the link of the route to the peers' endpoints minus 80.
// Over a 9000-byte and a 1280-byte underlay, two nodes' containers exchange full-size
// unfragmentable packets (ping -M do at the NR's MTU) through the NR. And nrMtu itself in a
// test namespace: the route's link, a route's `mtu lock`, both lookups (in-process, ip batch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { run } from '../../../lib/exec.ts';
import { ip } from '../../../lib/ip.ts';
import { netnsNamed, runIn } from '../../../lib/netns.ts';
import { makeNetns } from '../../helpers/netns.ts';
import { addNode, createPlan } from '../../../ovs-plugin/overlay/plan.ts';
import { documentsOf } from '../../../ovs-plugin/overlay/plan-documents.ts';
import { waitFor } from '../../helpers/wg-node.ts';
import { makeNrNode, makeSwitch, plugContainer } from './nr-node.ts';
import { has } from '../../helpers/has-command.ts';

const skip =
  !(process.getuid?.() === 0 && ['wireguard-go', 'nft', 'unshare', 'nsenter'].every(has)) &&
  'needs root, wireguard-go, nft';

for (const under of [9000, 1280]) {
  test(`underlay MTU ${under}: the NR's is ${under - 80}, full-size packets cross it unfragmented`, {
    skip,
    timeout: 180_000,
  }, async (t) => {
    const sw = await makeSwitch(t);
    const a = await makeNrNode(t, sw, 1, under);
    const b = await makeNrNode(t, sw, 2, under);
    let plan = createPlan({ name: `mtu${randomBytes(3).toString('hex')}`, ipRange: '10.70.0.0/16' });
    plan = addNode(plan, { id: 'a', endpoints: [a.address] });
    plan = addNode(plan, { id: 'b', endpoints: [b.address] });
    const docs = documentsOf(plan);
    const ra = await a.plugin('net.apply', docs.a);
    const rb = await b.plugin('net.apply', docs.b);
    assert.equal(ra.value.mtu, under - 80, ra.stdout);
    assert.equal(rb.value.mtu, under - 80);
    assert.equal(
      (await a.plugin('net.check', { netid: plan.netid })).value.ok,
      true,
      'check agrees (no IPv6 expected below 1280)',
    );
    const hostOf = (s: string, i: number) => s.replace(/\.0\/24$/, `.${i}`);
    const sa = docs.a!.network.subnet;
    const sb = docs.b!.network.subnet;
    const ca = await plugContainer(t, a, plan.netid, 'ca', `${hostOf(sa, 2)}/24`, hostOf(sa, 1), ra.value.mtu);
    await plugContainer(t, b, plan.netid, 'cb', `${hostOf(sb, 2)}/24`, hostOf(sb, 1), rb.value.mtu);
    const ping = (size: number) =>
      run(
        'nsenter',
        [`--net=/proc/${ca.pid}/ns/net`, 'ping', '-M', 'do', '-s', String(size), '-c', '1', '-W', '2', hostOf(sb, 2)],
        { allowFailure: true },
      ).then((r) => r.exitCode === 0);
    await waitFor('small ping', () => ping(56), 30_000);
    assert.ok(await ping(under - 80 - 28), 'a full-size packet (NR MTU minus IPv4 and ICMP headers) crosses');
  });
}

test("nrMtu: the route's link and MTU metric, in-process for a few endpoints and through ip for many", async (t) => {
  const ns = await makeNetns(t, 'tnm');
  const ref = netnsNamed(ns);
  await ip(ref, ['link', 'add', 'name', 'up0', 'mtu', '9000', 'type', 'veth', 'peer', 'name', 'up1']);
  await ip(ref, ['link', 'set', 'up1', 'up']);
  await ip(ref, ['addr', 'add', '198.18.0.2/16', 'dev', 'up0']);
  await ip(ref, ['link', 'set', 'up0', 'up']);
  await ip(ref, ['route', 'add', 'default', 'via', '198.18.0.1', 'dev', 'up0']);
  await ip(ref, ['route', 'add', '203.0.113.0/24', 'via', '198.18.0.1', 'dev', 'up0', 'mtu', 'lock', '1400']);
  const mtu = async (endpoints: string[]) => {
    const r = await runIn(
      ref,
      process.execPath,
      ['--import', 'tsx', 'test/ovs-plugin/overlay/fixtures/nr-mtu.ts', ...endpoints],
      { timeoutMs: 60_000 },
    );
    return (JSON.parse(r.stdout) as { mtu: number }).mtu;
  };
  const far = Array.from({ length: 12 }, (_, i) => `192.0.2.${i + 1}:51820`);
  assert.equal(await mtu([]), 9000 - 80, 'no endpoint: the default route');
  assert.equal(await mtu(far.slice(0, 3)), 9000 - 80, 'a few endpoints, in-process');
  assert.equal(await mtu(far), 9000 - 80, 'many endpoints, one ip batch');
  assert.equal(await mtu([...far.slice(0, 3), '203.0.113.9:51820']), 1400 - 80, "a route's mtu lock, in-process");
  assert.equal(await mtu([...far, '203.0.113.9:51820']), 1400 - 80, "a route's mtu lock, through ip");
  assert.equal(await mtu(['[2001:db8::1]:51820']), 1500 - 80, 'no route to it: the fallback');
});
