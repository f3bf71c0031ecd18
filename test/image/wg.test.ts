// Kernel WireGuard in the booted image (QEMU TCG; `make image-test`): the module loads, and
// lib/wireguard/kernel.ts works against a real kernel: two links created in the host's
// namespace and moved into two namespaces of the node keep their UDP sockets in the host's,
// are configured over generic netlink by the plugin's `wg-genl` helper run inside each
// namespace, handshake and pass a ping both ways; the same config again writes nothing; the
// links are gone after delete (test/image/node-checks/wg-checks.ts prints `WG {...}`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boot, silentNic, tail } from './qemu.ts';

interface Wg {
  ok: boolean;
  error?: string;
  code?: string;
  modprobe: { exitCode: number; loaded: boolean; ms: number };
  available: boolean;
  socketsInHost: boolean;
  inHost: string;
  leftInHost: string;
  ping: { ok: boolean; ms: number };
  pingBack: { ok: boolean; ms: number };
  states: {
    listenPort: number;
    publicKey: boolean;
    peers: { endpoint?: string; allowedIps: string[]; keepalive: number; handshake: boolean }[];
  }[];
  againEmpty: boolean;
  genlMs: number[];
}

test('kernel WireGuard in the image: module, links moved into namespaces, genl through wg-genl, handshake and ping', {
  timeout: 10 * 60_000,
}, async (t) => {
  const b = await boot(t, {
    nics: [silentNic()],
    append: 'ip=10.9.8.7::10.9.8.1:255.255.255.0:node1:eth0:off zos.test.wg',
  });
  await b.waitFor(/STATUS \{/);
  const w = b.json<Wg>('WG');
  assert.ok(w, `no WG line\n${tail(b.lines)}`);
  t.diagnostic(
    `WG: modprobe ${w.modprobe.ms} ms, genl syncs ${w.genlMs?.join('/')} ms (one helper process each), ` +
      `first ping after ${w.ping?.ms} ms`,
  );
  assert.equal(w.modprobe.exitCode, 0, JSON.stringify(w));
  assert.ok(w.modprobe.loaded && w.available, JSON.stringify(w));
  assert.ok(w.ok, JSON.stringify(w));
  assert.equal(w.socketsInHost, true, 'the UDP sockets stay in the namespace the links were created in');
  assert.deepEqual(JSON.parse(w.inHost || '[]'), [], 'no wireguard link left in the host after the move');
  assert.ok(w.ping.ok && w.pingBack.ok, JSON.stringify({ ping: w.ping, pingBack: w.pingBack }));
  assert.deepEqual(
    w.states.map((s) => s.listenPort),
    [51820, 51821],
  );
  for (const [i, s] of w.states.entries()) {
    assert.equal(s.publicKey, true);
    assert.equal(s.peers.length, 1);
    assert.equal(s.peers[0]!.endpoint, `127.0.0.1:${51821 - i}`);
    assert.deepEqual(s.peers[0]!.allowedIps, [`10.250.0.${2 - i}/32`]);
    assert.equal(s.peers[0]!.keepalive, 20);
    assert.equal(s.peers[0]!.handshake, true);
  }
  assert.equal(w.againEmpty, true, 'the same config again is an empty change');
  assert.deepEqual(JSON.parse(w.leftInHost || '[]'), []);
});
