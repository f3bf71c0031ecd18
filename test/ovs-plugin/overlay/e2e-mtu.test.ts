// Issue 18, end to end: underlay MTU 1280 and 9000. The NR takes the path MTU minus 80 (IPv6
// outer headers) on its WireGuard link and gives it to workload nics; TCP between workloads on
// two nodes moves 2 MB without stalls (no PMTUD: a segment too big for the path would be
// black-holed and show as a gap of seconds, then a timeout). IPv6 inside the overlay is checked
// where the NR's MTU allows IPv6 at all (>= 1280: Linux turns IPv6 off on a link below 1280,
// so a 1280 underlay gives the overlay 1200 and IPv4 only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ip } from '../../../lib/ip.ts';
import { pingUntil, tcpTransfer } from '../../helpers/overlay-traffic.ts';
import { makeMesh } from './e2e-fixture.ts';
import { has } from '../../helpers/has-command.ts';

const ready = process.getuid?.() === 0 && ['wireguard-go', 'wg', 'unshare', 'nsenter', 'nft'].every(has);
const SIZE = 2 * 1024 * 1024;

for (const mtu of [1280, 9000]) {
  test(`underlay MTU ${mtu}: NR MTU ${mtu - 80}, TCP between workloads on two nodes moves 2 MB without stalls`, {
    skip: !ready && 'needs root, wireguard-go, wireguard-tools, nft',
    timeout: 400_000,
  }, async (t) => {
    const mesh = await makeMesh(t, { mtu, publics: ['a', 'b'], hidden: ['h'], laptop: false });
    const applied = await mesh.apply(mesh.plan);
    for (const id of ['a', 'b', 'h']) assert.equal(applied[id]!.mtu, mtu - 80, `${id}: NR MTU`);
    const ca = await mesh.workload('a');
    const cb = await mesh.workload('b');
    const ch = await mesh.workload('h');
    for (const c of [ca, cb, ch]) {
      assert.equal(c.mtu, mtu - 80);
      assert.match(await ip(c.netns, ['link', 'show', c.nic]), new RegExp(`mtu ${mtu - 80} `));
    }
    await pingUntil(ch, ca.v4);
    await pingUntil(ca, cb.v4);
    for (const [from, to, addr] of [
      [ca, cb, cb.v4],
      [cb, ca, ca.v4],
      [ch, cb, cb.v4],
      [cb, ch, ch.v4],
    ] as const) {
      const r = await tcpTransfer(to, from, addr, SIZE, 120_000);
      t.diagnostic(`${from.label} -> ${addr}: ${r.bytes} B in ${r.ms} ms, largest gap ${r.maxGapMs} ms`);
      assert.equal(r.bytes, SIZE);
      assert.ok(r.maxGapMs < 3000, `a stall of ${r.maxGapMs} ms (${from.label} -> ${addr})`);
    }
    if (mtu - 80 >= 1280) {
      await pingUntil(ca, cb.v6);
      const r = await tcpTransfer(cb, ca, cb.v6, SIZE, 120_000);
      assert.equal(r.bytes, SIZE);
      assert.ok(r.maxGapMs < 3000, `IPv6: a stall of ${r.maxGapMs} ms`);
    }
  });
}
