// The kernel backend without a kernel module: a device in another namespace is reached
// through the owner's `remote` runner (here a model of a device answering as serveGenlRequest
// would), one `sync` request per sync, or is EWG_UNREACHABLE; an unchanged config writes
// nothing; errors keep their codes; a create this kernel refuses leaves nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listLinks } from '../../../lib/ip.ts';
import { netnsAt } from '../../../lib/netns.ts';
import { syncDevice } from '../../../lib/wireguard/backend.ts';
import { genlAvailable } from '../../../lib/wireguard/genl.ts';
import {
  serveGenlRequest,
  stateFromJson,
  stateToJson,
  type GenlAnswer,
  type GenlRequest,
} from '../../../lib/wireguard/genl-remote.ts';
import { kernelBackend } from '../../../lib/wireguard/kernel.ts';
import { diffConfig } from '../../../lib/wireguard/diff.ts';
import { isEmptyChange, validateWgConfig, type WgChange, type WgState } from '../../../lib/wireguard/types.ts';
import { makeInnerNs } from '../../helpers/wg-node.ts';

const K = (n: number): string => Buffer.alloc(32, n).toString('base64');
const dev = { name: 'w-x', netns: netnsAt('/proc/1/ns/net') };

/** A device model behind a remote runner: applies changes as WireGuard does, records requests. */
function modelRemote() {
  const state: WgState = { listenPort: 0, fwmark: 0, peers: [] };
  const requests: GenlRequest[] = [];
  const remote = async (_d: unknown, req: GenlRequest): Promise<GenlAnswer> => {
    requests.push(JSON.parse(JSON.stringify(req)) as GenlRequest); // what crosses the process boundary
    if (req.op === 'get') return { ok: true, state: stateToJson(state) };
    // As serveGenlRequest: read, diff, write the difference.
    const c = req.op === 'sync' ? diffConfig(req.config, state) : req.change;
    if (c.privateKey) state.privateKey = c.privateKey;
    if (c.listenPort !== undefined) state.listenPort = c.listenPort;
    for (const p of c.peers) {
      const i = state.peers.findIndex((q) => q.publicKey === p.publicKey);
      if ('remove' in p) {
        if (i >= 0) state.peers.splice(i, 1);
        continue;
      }
      if (i < 0 && !p.create) continue;
      const q =
        i >= 0
          ? state.peers[i]!
          : {
              publicKey: p.publicKey,
              allowedIps: [],
              persistentKeepalive: 0,
              lastHandshakeMs: 0,
              rxBytes: 7n,
              txBytes: 8n,
            };
      if (i < 0) state.peers.push(q);
      if (p.endpoint) q.endpoint = p.endpoint;
      if (p.persistentKeepalive !== undefined) q.persistentKeepalive = p.persistentKeepalive;
      if (p.allowedIps) q.allowedIps = [...p.allowedIps];
    }
    return req.op === 'sync' ? { ok: true, change: JSON.parse(JSON.stringify(c)) as WgChange } : { ok: true };
  };
  return { remote, requests };
}

test('kernel backend through a runner: one sync request (one helper) each, unchanged writes nothing', async () => {
  const m = modelRemote();
  const writes: number[] = [];
  const backend = kernelBackend({ remote: m.remote, onWrite: (_d, c) => writes.push(c.peers.length) });
  const cfg = validateWgConfig({
    privateKey: K(1),
    listenPort: 51820,
    peers: [{ publicKey: K(2), endpoint: '192.0.2.2:1', allowedIps: ['10.0.2.0/24'], persistentKeepalive: 20 }],
  });
  assert.equal((await syncDevice(backend, dev, cfg)).peers.length, 1);
  assert.deepEqual(
    m.requests.map((r) => r.op),
    ['sync'],
  );
  assert.ok(isEmptyChange(await syncDevice(backend, dev, cfg)));
  assert.deepEqual(
    m.requests.map((r) => r.op),
    ['sync', 'sync'],
  );
  assert.deepEqual(writes, [1], 'the change the helper wrote is reported; an empty one is not');
  const got = await backend.get(dev);
  assert.equal(got.peers[0]!.rxBytes, 7n, 'counters cross as strings and come back as bigints');
});

test(
  'kernel backend: another namespace without a runner is EWG_UNREACHABLE; ' + "a runner's error keeps its code",
  async () => {
    await assert.rejects(kernelBackend().get(dev), { code: 'EWG_UNREACHABLE' });
    const failing = kernelBackend({
      remote: async () => ({ ok: false, code: 'EWG_NODEVICE', message: 'no WireGuard device "w-x"' }),
    });
    await assert.rejects(failing.get(dev), { code: 'EWG_NODEVICE' });
    const odd = kernelBackend({ remote: async () => ({ ok: false, code: 'ESOMETHING', message: 'x' }) });
    await assert.rejects(odd.get(dev), { code: 'EWG_PROTO' });
    assert.equal(await failing.apply(dev, { peers: [] }), false, 'an empty change reaches nobody');
  },
);

test('kernel backend: a sync answer without its change, or with a bad one, is EWG_PROTO', async () => {
  const cfg = validateWgConfig({ privateKey: K(1), listenPort: 1, peers: [] });
  const none = kernelBackend({ remote: async () => ({ ok: true }) });
  await assert.rejects(syncDevice(none, dev, cfg), { code: 'EWG_PROTO' });
  const bad = kernelBackend({
    remote: async () => ({ ok: true, change: { peers: [{ publicKey: 'x', create: true }] } as unknown as WgChange }),
  });
  await assert.rejects(syncDevice(bad, dev, cfg), { code: 'EWG_PROTO', message: /change\.peers\[0\]\.publicKey/ });
});

test('state JSON round trip keeps every field', () => {
  const s: WgState = {
    privateKey: K(1),
    publicKey: K(3),
    listenPort: 1,
    fwmark: 2,
    peers: [
      {
        publicKey: K(2),
        endpoint: '[2001:db8::1]:1',
        allowedIps: ['fd00::/64'],
        persistentKeepalive: 5,
        lastHandshakeMs: 9,
        rxBytes: 2n ** 60n,
        txBytes: 1n,
      },
    ],
  };
  assert.deepEqual(stateFromJson(JSON.parse(JSON.stringify(stateToJson(s)))), s);
});

test('serveGenlRequest answers with a code, never throws', async (t) => {
  if (await genlAvailable()) {
    t.skip('kernel WireGuard here: exercised in the image');
    return;
  }
  const a = await serveGenlRequest({ op: 'get', name: 'w-none' });
  assert.equal(a.ok, false);
  assert.equal(!a.ok && a.code, 'EWG_UNREACHABLE');
});

test('a create this kernel refuses leaves no link in either namespace', { timeout: 30_000 }, async (t) => {
  if (await genlAvailable()) {
    t.skip('kernel WireGuard here');
    return;
  }
  const [host, target] = [await makeInnerNs(t), await makeInnerNs(t)];
  await assert.rejects(kernelBackend().create({ name: 'w-x', host: host.net, target: target.net }));
  assert.deepEqual(
    (await listLinks(host.net)).map((l) => l.ifname),
    ['lo'],
  );
  assert.deepEqual(
    (await listLinks(target.net)).map((l) => l.ifname),
    ['lo'],
  );
});
