// lib/rtnl-netns.ts (with lib/rtnl.ts for our own links), in-process rtnetlink: it acts in the
// namespace of the process, so each case runs a small node program inside a namespace made for
// the test (nsenter --net=), never in ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getLink, ip } from '../../lib/ip.ts';
import { netnsNamed } from '../../lib/netns.ts';
import { makeNetns, runIn } from '../helpers/netns.ts';

/**
 * Runs `body` (an async function body; `rtnl`, `link`, `own` are lib/rtnl-netns.ts, lib/link.ts, lib/rtnl.ts) inside
 * `ns`; its JSON result.
 */
async function inside(ns: string, body: string): Promise<any> {
  const code = `Promise.all([import('${process.cwd()}/lib/rtnl-netns.ts'), import('${process.cwd()}/lib/link.ts'),
      import('${process.cwd()}/lib/rtnl.ts')])
    .then(async ([rtnl, link, own]) => {
      const r = await (async () => { ${body} })(); console.log(JSON.stringify(r ?? null)); })
    .catch((e) => { console.log(JSON.stringify({ error: e.code ?? String(e), message: e.message })); });`;
  const r = await runIn(ns, 'node', ['--import', 'tsx', '-e', code], { timeoutMs: 60000 });
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

test(
  'rtnl: a veth pair born with its far end in another namespace (name, ' +
    'MAC, MTU, up); its near end a bridge port; link lists of both',
  async (t) => {
    const host = await makeNetns(t, 'rh');
    const box = await makeNetns(t, 'rb');
    await ip(netnsNamed(host), ['link', 'add', 'name', 'br0', 'type', 'bridge']);
    const r = await inside(
      host,
      `
    await link.setupVeth({ ref: { self: true }, name: 'h0', peer: 'eth0', peerNs: { name: '${box}' }, mtu: 1400,
      peerAddress: '02:00:00:00:77:01', up: true, peerUp: true });
    await own.setLink({ self: true }, 'h0', { master: 'br0' });
    const noMaster = await own.setLink({ self: true }, 'h0', { master: 'nobr' }).then(() => 'set', (e) => e.code);
    return { avail: await rtnl.available(), noMaster, here: await rtnl.linkNamesIn({ self: true }),
      there: await rtnl.linkNamesIn({ name: '${box}' }) };`,
    );
    assert.equal(r.avail, true, JSON.stringify(r));
    assert.deepEqual(
      [r.here.sort(), r.there.sort(), r.noMaster],
      [['br0', 'h0', 'lo'], ['eth0', 'lo'], 'ELINKNOTFOUND'],
    );
    const [h, p] = [await getLink(netnsNamed(host), 'h0'), await getLink(netnsNamed(box), 'eth0')];
    assert.deepEqual(
      [h?.mtu, h?.flags.includes('UP'), h?.master, p?.mtu, p?.flags.includes('UP'), p?.address],
      [1400, true, 'br0', 1400, true, '02:00:00:00:77:01'],
    );
  },
);

test(
  'rtnl: a name taken in the far namespace fails the request whole (nothing left here); ' +
    'a gone namespace is ENETNSGONE',
  async (t) => {
    const host = await makeNetns(t, 'rh');
    const box = await makeNetns(t, 'rb');
    const r = await inside(
      host,
      `
    const made = await rtnl.addVeth({ name: 'h1', peer: 'x0', peerNs: { name: '${box}' } })
      .then(() => 'made', (e) => e.code);
    const clash = await rtnl.addVeth({ name: 'h2', peer: 'x0', peerNs: { name: '${box}' } })
      .then(() => 'made', (e) => e.code);
    const clashHere = await rtnl.addVeth({ name: 'h1', peer: 'x9', peerNs: { name: '${box}' } })
      .then(() => 'made', (e) => e.code);
    const gone = await rtnl.linkNamesIn({ name: 'no-such-ns-${box}' }).then(() => 'listed', (e) => e.code);
    return { made, clash, clashHere, gone, here: (await rtnl.linkNamesIn({ self: true })).sort(),
      there: (await rtnl.linkNamesIn({ name: '${box}' })).sort() };`,
    );
    assert.deepEqual(r, {
      made: 'made',
      clash: 'ERTNL',
      clashHere: 'ERTNL',
      gone: 'ENETNSGONE',
      here: ['h1', 'lo'],
      there: ['lo', 'x0'],
    });
  },
);

test(
  "rtnl: a link here named like the far end (the node's eth0, " +
    "a container's eth0) sends the pair to ip: made, and ours untouched",
  async (t) => {
    const host = await makeNetns(t, 'rh');
    const box = await makeNetns(t, 'rb');
    await ip(netnsNamed(host), ['link', 'add', 'name', 'eth0', 'mtu', '1450', 'type', 'veth', 'peer', 'name', 'eth0p']);
    const before = await getLink(netnsNamed(host), 'eth0');
    const r = await inside(
      host,
      `
    const direct = await rtnl.addVeth({ name: 'h3', peer: 'eth0', peerNs: { name: '${box}' } });
    await link.setupVeth({ ref: { self: true }, name: 'h3', peer: 'eth0', peerNs: { name: '${box}' }, mtu: 1400,
      peerAddress: '02:00:00:00:77:03', up: true, peerUp: true });
    return { direct, there: (await rtnl.linkNamesIn({ name: '${box}' })).sort() };`,
    );
    assert.deepEqual(r, { direct: false, there: ['eth0', 'lo'] });
    const [mine, theirs] = [await getLink(netnsNamed(host), 'eth0'), await getLink(netnsNamed(box), 'eth0')];
    assert.deepEqual([mine?.mtu, mine?.address], [before?.mtu, before?.address]);
    assert.deepEqual([theirs?.mtu, theirs?.address, theirs?.flags.includes('UP')], [1400, '02:00:00:00:77:03', true]);
  },
);
