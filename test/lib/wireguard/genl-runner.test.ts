// The kernel backend's nsenter runner and the plugin's hidden `wg-genl` helper: requests are
// validated field by field on the helper's side, the runner reaches a helper inside another
// namespace and gets its typed answer back, and a helper that fails or answers garbage is a
// typed error. (This kernel has no WireGuard: the device itself is exercised in the image,
// test/image/wg.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { answerGenlText, nsenterRunner, parseGenlRequest } from '../../../lib/wireguard/genl-runner.ts';
import { genlAvailable } from '../../../lib/wireguard/genl.ts';
import { kernelBackend } from '../../../lib/wireguard/kernel.ts';
import { makeInnerNs } from '../../helpers/wg-node.ts';
import { clampPrivateKey } from '../../../lib/wireguard/types.ts';

const K = (n: number): string => Buffer.alloc(32, n).toString('base64');
const PLUGIN = [process.execPath, '--import', 'tsx', resolve('ovs-plugin/main.ts')];

test('parseGenlRequest: a get, a set and a sync pass; each bad field is named', () => {
  assert.deepEqual(parseGenlRequest({ op: 'get', name: 'w-a' }), { op: 'get', name: 'w-a' });
  const set = {
    op: 'set',
    name: 'w-a',
    change: {
      privateKey: K(1),
      listenPort: 51820,
      peers: [
        {
          publicKey: K(2),
          create: true,
          endpoint: '192.0.2.1:5',
          allowedIps: ['10.0.0.0/24'],
          persistentKeepalive: 20,
        },
        { publicKey: K(3), remove: true },
        { publicKey: K(4), create: false, allowedIps: ['10.0.4.0/24'], addAllowedIps: true },
      ],
    },
  };
  assert.deepEqual(parseGenlRequest(set), set);
  // A config comes out canonical (validateWgConfig): its private key clamped, as WireGuard keeps it.
  const sync = { op: 'sync', name: 'w-a', config: { privateKey: clampPrivateKey(K(1)), listenPort: 51820, peers: [] } };
  assert.deepEqual(parseGenlRequest(sync), sync);
  const bad: [unknown, string][] = [
    [[], 'request'],
    [{ op: 'get', name: 'a/b' }, 'request.name'],
    [{ op: 'del', name: 'w-a' }, 'request.op'],
    [{ op: 'set', name: 'w-a' }, 'request.change'],
    [{ op: 'sync', name: 'w-a' }, 'request.config'],
    [
      { op: 'set', name: 'w-a', change: { peers: [{ publicKey: K(2), create: false, addAllowedIps: true }] } },
      'request.change.peers[0].addAllowedIps',
    ],
    [{ op: 'sync', name: 'w-a', config: { privateKey: K(1), listenPort: 0, peers: [] } }, 'request.config.listenPort'],
    [{ op: 'set', name: 'w-a', change: {} }, 'request.change.peers'],
    [{ op: 'set', name: 'w-a', change: { listenPort: 70000, peers: [] } }, 'request.change.listenPort'],
    [{ op: 'set', name: 'w-a', change: { privateKey: 'x', peers: [] } }, 'request.change.privateKey'],
    [{ op: 'set', name: 'w-a', change: { peers: [{ publicKey: K(2) }] } }, 'request.change.peers[0].create'],
    [
      { op: 'set', name: 'w-a', change: { peers: [{ publicKey: K(2), create: true, endpoint: 'nope' }] } },
      'request.change.peers[0].endpoint',
    ],
    [
      { op: 'set', name: 'w-a', change: { peers: [{ publicKey: K(2), create: true, allowedIps: ['10.0.0.300/24'] }] } },
      'request.change.peers[0].allowedIps[0]',
    ],
  ];
  for (const [v, field] of bad)
    assert.throws(() => parseGenlRequest(v), { code: 'EINVALID', field }, JSON.stringify(v));
});

test('answerGenlText: not JSON and a bad request are EINVALID answers, never a throw', async () => {
  const a = await answerGenlText('{');
  assert.equal(a.ok, false);
  assert.equal(!a.ok && a.code, 'EINVALID');
  const b = await answerGenlText('{"op":"get","name":""}');
  assert.equal(!b.ok && b.code, 'EINVALID');
  assert.match(!b.ok ? b.message : '', /request\.name/);
});

test("nsenter runner: the plugin's wg-genl helper answers from inside another namespace, its code kept", {
  timeout: 120_000,
}, async (t) => {
  if (await genlAvailable()) {
    t.skip('kernel WireGuard here: the image test covers the device');
    return;
  }
  const ns = await makeInnerNs(t);
  const backend = kernelBackend({ remote: nsenterRunner(PLUGIN) });
  // No module here: the helper, inside the namespace, cannot resolve the family and says so.
  await assert.rejects(backend.get({ name: 'w-none', netns: ns.net }), { code: 'EWG_UNREACHABLE' });
  const raw = await nsenterRunner(PLUGIN)({ name: 'w-none', netns: ns.net }, { op: 'get', name: 'w-none' });
  assert.equal(raw.ok, false);
});

test('nsenter runner: a helper that cannot start is EWG_UNREACHABLE, one that answers garbage EWG_PROTO', {
  timeout: 60_000,
}, async (t) => {
  const ns = await makeInnerNs(t);
  const dev = { name: 'w-x', netns: ns.net };
  await assert.rejects(kernelBackend({ remote: nsenterRunner(['/nonexistent/helper']) }).get(dev), {
    code: 'EWG_UNREACHABLE',
  });
  await assert.rejects(kernelBackend({ remote: nsenterRunner(['echo', 'hello']) }).get(dev), { code: 'EWG_PROTO' });
  await assert.rejects(
    kernelBackend({ remote: nsenterRunner(['sh', '-c', 'echo "{\\"ok\\":true}"', 'sh']) }).get(dev),
    { code: 'EWG_PROTO' },
    'a get answered without a state',
  );
  assert.throws(() => nsenterRunner([]), { code: 'EINVALID', field: 'command' });
});
