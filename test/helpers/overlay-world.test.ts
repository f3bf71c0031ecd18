// The overlay tests' world itself: public nodes reach each other on the underlay (IPv4 and IPv6),
// the hidden node and the laptop get out through their home routers (both families
// masqueraded), nothing gets in to them unasked, a container is its own namespace inside its
// node, each node has its own /run, the MTU is the one asked; and close() leaves nothing (no
// process in the world's namespaces, no name in the machine's /run/netns, no link in its namespace).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ip } from '../../lib/ip.ts';
import { machineSnapshot, makeWorld, runAt, SWITCH_V4 } from './overlay-world.ts';
import { nodePlugin } from './overlay-plugin.ts';
import { pingOnce, pingUntil, tcpTransfer } from './overlay-traffic.ts';
import { has } from './has-command.ts';

const ready = process.getuid?.() === 0 && ['unshare', 'nsenter', 'ip', 'nft', 'ping'].every(has);
const OURS = /^(p\d+|u0|wan|lan|br0|[bwlen]-.+|public)$/;

test('overlay world: underlay reachability, home routers masquerade and drop unasked, close leaves nothing', {
  skip: !ready && 'needs root, unshare, nsenter, nft, ping',
  timeout: 240_000,
}, async (t) => {
  const before = await machineSnapshot();
  const w = await makeWorld(t, { mtu: 1280 });
  const a = w.node('a');
  const b = w.node('b');
  const h = w.node('h');
  const laptop = w.node('laptop');

  await t.test('public nodes reach each other, IPv4 and IPv6, and the switch router', async () => {
    await pingUntil(a, b.v4, 10);
    await pingUntil(b, a.v6, 10);
    await pingUntil(a, SWITCH_V4, 10);
  });
  await t.test('hidden node and laptop get out through their routers, both families', async () => {
    await pingUntil(h, a.v4, 10);
    await pingUntil(h, a.v6, 10);
    await pingUntil(laptop, b.v4, 10);
    await pingUntil(laptop, b.v6, 10);
    const tcp = await tcpTransfer(b, h, b.v6, 256 * 1024);
    assert.equal(tcp.bytes, 256 * 1024);
  });
  await t.test('nothing gets in to them unasked (routes pointed at their routers, still dropped)', async () => {
    for (const n of [h, laptop]) {
      await ip(a.netns, ['route', 'replace', `${n.v4}/32`, 'via', n.router!.v4]);
      await ip(a.netns, ['-6', 'route', 'replace', `${n.v6}/128`, 'via', n.router!.v6]);
      assert.equal(await pingOnce(a, n.v4), false, `${n.id} answered ${a.id} over IPv4`);
      assert.equal(await pingOnce(a, n.v6), false, `${n.id} answered ${a.id} over IPv6`);
      assert.equal(await pingOnce(a, n.router!.v4), false, `${n.id}'s router answered unasked`);
    }
  });
  await t.test(
    'a container is its own namespace in its node; nodes have their own /run; MTU is the asked one',
    async () => {
      const c = await w.container(a);
      const links = await runAt(c, 'ip', ['-o', 'link', 'show']);
      assert.deepEqual(
        links.stdout
          .trim()
          .split('\n')
          .map((l) => l.split(':')[1]!.trim()),
        ['lo'],
      );
      await runAt(a, 'sh', ['-c', 'echo a > /run/marker']);
      const seen = await runAt(b, 'sh', ['-c', 'cat /run/marker 2>/dev/null || echo none']);
      assert.equal(seen.stdout.trim(), 'none');
      assert.match(await ip(h.netns, ['link', 'show', 'u0']), /mtu 1280 /);
      assert.match(await ip(a.netns, ['link', 'show', 'u0']), /mtu 1280 /);
    },
  );

  await t.test(
    "the plugin runs inside a node: exec, and a daemon with its own OVSDB, its state in the node's /run",
    async () => {
      const p = await nodePlugin(a, w.dir);
      assert.deepEqual(await p.exec('nic.list', {}), []);
      await p.startDaemon();
      assert.deepEqual(await p.call('nic.list', {}), []);
      await p.stopDaemon();
      await p.startDaemon();
      assert.deepEqual(await p.call('nic.list', {}), []);
      await p.stopDaemon();
    },
  );

  assert.deepEqual(await w.close(), [], 'processes that would not die');
  assert.deepEqual(await w.leftovers(), []);
  const after = await machineSnapshot();
  assert.deepEqual(
    after.netns.filter((n) => !before.netns.includes(n)).filter((n) => /^n-/.test(n)),
    [],
  );
  assert.deepEqual(
    after.links.filter((l) => !before.links.includes(l) && OURS.test(l)),
    [],
  );
});
