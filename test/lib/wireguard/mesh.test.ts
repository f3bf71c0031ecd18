// Two test nodes joined by a veth underlay, each with a wireguard-go device created in the
// node's own namespace, moved into an inner namespace and configured through our backend
// (read, diff, write only the difference): traffic crosses; an update that adds and removes
// unrelated peers while pinging every 10 ms loses nothing and redoes no handshake; the same
// config again writes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setupVeth } from '../../../lib/link.ts';
import { runIn } from '../../../lib/netns.ts';
import { syncDevice, type WgBackend, type WgCreated } from '../../../lib/wireguard/backend.ts';
import { uapiRequest } from '../../../lib/wireguard/uapi.ts';
import { isEmptyChange, keyToHex, publicKeyOf, validateWgConfig, type WgConfig } from '../../../lib/wireguard/types.ts';
import { addressUp, makeInnerNs, makeWgNode, waitFor, type WgNode } from '../../helpers/wg-node.ts';
import type { TestContext } from 'node:test';

const genkey = (): string => execFileSync('wg', ['genkey']).toString().trim();

/** Creates `w0` in `node`, moved into a fresh inner namespace, with `addr` and up; stopped after the test. */
async function device(t: TestContext, node: WgNode, backend: WgBackend, addr: string): Promise<WgCreated> {
  const inner = await makeInnerNs(t);
  const dev = await backend.create({ name: 'w0', host: node.net, target: inner.net });
  t.after(() => {
    try {
      process.kill(dev.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  await addressUp(inner.net, 'w0', addr);
  return dev;
}

/**
 * Two nodes A (10.99.0.1) and B (10.99.0.2) on a veth underlay, each with `w0` (100.64.1.1 and
 * .2) moved into an inner namespace; `writes` counts each backend's writes.
 */
async function pair(t: TestContext) {
  const [a, b] = await Promise.all([makeWgNode(t), makeWgNode(t)]);
  await setupVeth({ ref: a.net, name: 'ua', peer: 'ub', peerNs: b.net, up: true, peerUp: true });
  await addressUp(a.net, 'ua', '10.99.0.1/24');
  await addressUp(b.net, 'ub', '10.99.0.2/24');
  const writes = { a: 0, b: 0 };
  const ba = a.backend({
    onWrite: () => {
      writes.a++;
    },
  });
  const bb = b.backend({
    onWrite: () => {
      writes.b++;
    },
  });
  const [da, db] = await Promise.all([device(t, a, ba, '100.64.1.1/24'), device(t, b, bb, '100.64.1.2/24')]);
  return { b, ba, bb, da, db, writes };
}

/** A's entry for B: B's underlay endpoint, its wire address and `more` prefixes, keepalive 20 s. */
const peerB = (kb: string, more: readonly string[] = []) => ({
  publicKey: publicKeyOf(kb),
  endpoint: '10.99.0.2:51821',
  allowedIps: ['100.64.1.2/32', ...more],
  persistentKeepalive: 20,
});
/** B's entry for A: no endpoint (B learns it from A's handshake), A's wire address, keepalive 20 s. */
const peerA = (ka: string) => ({ publicKey: publicKeyOf(ka), allowedIps: ['100.64.1.1/32'], persistentKeepalive: 20 });

test('wireguard-go moved into an inner namespace: ping across, an update adds and ' +
  'removes peers without loss or new handshake, the same config writes nothing', {
  timeout: 120_000,
}, async (t) => {
  const { b, ba, bb, da, db, writes } = await pair(t);

  const [ka, kb, kc, kd] = [genkey(), genkey(), genkey(), genkey()];
  const pc = publicKeyOf(kc);
  const pd = publicKeyOf(kd);
  const cfgA = (extra: string): WgConfig =>
    validateWgConfig({
      privateKey: ka,
      listenPort: 51820,
      peers: [
        peerB(kb),
        {
          publicKey: extra,
          endpoint: '10.99.0.9:51820',
          allowedIps: [extra === pc ? '100.64.1.3/32' : '100.64.1.4/32'],
        },
      ],
    });
  // B lists A without an endpoint: it learns it from A's handshake, and an update must keep it.
  const cfgB = (extra: string): WgConfig =>
    validateWgConfig({
      privateKey: kb,
      listenPort: 51821,
      peers: [peerA(ka), { publicKey: extra, allowedIps: [extra === pc ? '100.64.1.3/32' : '100.64.1.4/32'] }],
    });
  // B first: A's keepalive sends its first handshake at once, and one that reaches B before B
  // has its key is dropped (A retries after REKEY_TIMEOUT, 5 s).
  await syncDevice(bb, db, cfgB(pd));
  await syncDevice(ba, da, cfgA(pd));

  const inA = da.netns;
  // Retried: wireguard-go notices the link up across namespaces only by polling (<= 1 s).
  const t0 = Date.now();
  await waitFor(
    'first ping across',
    async () => (await runIn(inA, 'ping', ['-c', '1', '-W', '1', '100.64.1.2'], { allowFailure: true })).exitCode === 0,
  );
  t.diagnostic(`first ping across after ${Date.now() - t0} ms`);
  const beforeA = (await ba.get(da)).peers.find((p) => p.publicKey === publicKeyOf(kb))!;
  const beforeB = (await bb.get(db)).peers.find((p) => p.publicKey === publicKeyOf(ka))!;
  assert.ok(beforeA.lastHandshakeMs > 0, 'handshake done');
  assert.equal(beforeB.endpoint, '10.99.0.1:51820', "B learned A's endpoint");

  // 400 pings 10 ms apart (~4 s); replies that come late still count (ping waits for them).
  const pinging = runIn(inA, 'ping', ['-c', '400', '-i', '0.01', '-W', '5', '100.64.1.2'], {
    allowFailure: true,
    timeoutMs: 60_000,
  });
  await new Promise((r) => setTimeout(r, 1000));
  const ca = await syncDevice(ba, da, cfgA(pc)); // D removed, C added
  const cb = await syncDevice(bb, db, cfgB(pc));
  assert.deepEqual(
    ca.peers.map((p) => ('remove' in p ? `-${p.publicKey}` : `+${p.publicKey}`)),
    [`-${pd}`, `+${pc}`],
  );
  assert.equal(cb.peers.length, 2);
  const ping = await pinging;
  const m = /(\d+) packets transmitted, (\d+) received/.exec(ping.stdout);
  assert.ok(m, ping.stdout + ping.stderr);
  assert.equal(m[2], m[1], `lost packets during the update: ${ping.stdout.split('\n').slice(-3).join(' ')}`);

  const afterA = (await ba.get(da)).peers.find((p) => p.publicKey === publicKeyOf(kb))!;
  const afterB = (await bb.get(db)).peers.find((p) => p.publicKey === publicKeyOf(ka))!;
  assert.equal(afterA.lastHandshakeMs, beforeA.lastHandshakeMs, 'no new handshake on A');
  assert.equal(afterB.lastHandshakeMs, beforeB.lastHandshakeMs, 'no new handshake on B');
  assert.ok(afterA.rxBytes > beforeA.rxBytes && afterA.txBytes > beforeA.txBytes, 'counters kept counting');
  assert.equal(afterB.endpoint, '10.99.0.1:51820', 'B kept the endpoint it learned');
  assert.deepEqual((await ba.get(da)).peers.map((p) => p.publicKey).sort(), [publicKeyOf(kb), pc].sort());

  // The same configs again: an empty change, and nothing is written to either device.
  const [wa, wb] = [writes.a, writes.b];
  assert.ok(isEmptyChange(await syncDevice(ba, da, cfgA(pc))));
  assert.ok(isEmptyChange(await syncDevice(bb, db, cfgB(pc))));
  assert.deepEqual([writes.a, writes.b], [wa, wb]);

  // The contrast (what Zero-OS does on every update, setconf-style): replacing all peers of B
  // with the same ones forgets the endpoint B learned and the session: the check above would see it.
  const same = cfgB(pc)
    .peers.map((p) =>
      [
        `public_key=${keyToHex(p.publicKey)}`,
        `persistent_keepalive_interval=${p.persistentKeepalive ?? 0}`,
        ...p.allowedIps.map((x) => `allowed_ip=${x}`),
      ].join('\n'),
    )
    .join('\n');
  await uapiRequest('w0', `${b.socketDir}/w0.sock`, `set=1\nreplace_peers=true\n${same}\n\n`);
  const replaced = (await bb.get(db)).peers.find((p) => p.publicKey === publicKeyOf(ka))!;
  assert.equal(replaced.endpoint, undefined, 'replace_peers forgets the learned endpoint');
  assert.equal(replaced.lastHandshakeMs, 0, 'and the session');

  // delete stops wireguard-go and removes the link; deleting again is success.
  await ba.delete(da);
  await ba.delete(da);
  assert.equal((await runIn(inA, 'ip', ['link', 'show', 'w0'], { allowFailure: true })).exitCode !== 0, true);
  await assert.rejects(ba.get(da), { code: 'EWG_NODEVICE' });
});

test('a peer losing allowed IPs keeps routing its others: 40 updates while pinging every 5 ms, 0 lost, no sink left', {
  timeout: 120_000,
}, async (t) => {
  const { ba, bb, da, db } = await pair(t);
  const [ka, kb] = [genkey(), genkey()];
  // A's peer B routes B's wire address and, every other update, three more prefixes it then loses.
  const cfgA = (more: boolean): WgConfig =>
    validateWgConfig({
      privateKey: ka,
      listenPort: 51820,
      peers: [peerB(kb, more ? ['10.50.0.0/24', '10.51.0.0/24', 'fd00:50::/64'] : [])],
    });
  await syncDevice(bb, db, {
    privateKey: kb,
    listenPort: 51821,
    peers: [peerA(ka)],
  });
  await syncDevice(ba, da, cfgA(true));
  await waitFor(
    'first ping across',
    async () =>
      (await runIn(da.netns, 'ping', ['-c', '1', '-W', '1', '100.64.1.2'], { allowFailure: true })).exitCode === 0,
  );
  const pinging = runIn(da.netns, 'ping', ['-c', '800', '-i', '0.005', '-W', '5', '100.64.1.2'], {
    allowFailure: true,
    timeoutMs: 60_000,
  });
  await new Promise((r) => setTimeout(r, 300));
  for (let i = 0; i < 40; i++) {
    const c = await syncDevice(ba, da, cfgA(i % 2 === 1));
    // Never a replace: the prefixes lost go through the sink, made and removed in the same write.
    assert.ok(
      c.peers.every((p) => 'remove' in p || p.create || p.addAllowedIps),
      JSON.stringify(c),
    );
  }
  const ping = await pinging;
  const m = /(\d+) packets transmitted, (\d+) received/.exec(ping.stdout);
  assert.ok(m, ping.stdout + ping.stderr);
  assert.equal(m[2], m[1], `lost while allowed IPs were removed: ${ping.stdout.split('\n').slice(-3).join(' ')}`);
  const end = await ba.get(da);
  assert.deepEqual(
    end.peers.map((p) => [p.publicKey, [...p.allowedIps].sort()]),
    [[publicKeyOf(kb), ['10.50.0.0/24', '10.51.0.0/24', '100.64.1.2/32', 'fd00:50::/64']]],
    'one peer, as configured: the sink is gone',
  );
});
