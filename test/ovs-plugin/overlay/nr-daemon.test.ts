// The net.* commands through the daemon and the typed client (the same code as exec): apply,
// the same again (changed: false), namespace, list, check, delete; a refusal keeps its code and
// field over the wire. The daemon runs in the test's namespace (a private ovsdb-server: the
// daemon connects to one at start, net.* never use it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { run } from '../../../lib/exec.ts';
import type { AppError } from '../../../lib/errors.ts';
import { OvsPluginClient } from '../../../ovs-plugin/transports/client.ts';
import { generateKeyPair } from '../../../ovs-plugin/overlay/plan-keys.ts';
import { startOvs } from '../../helpers/ovs.ts';
import { ensureBundle, execPlugin, startDaemon } from '../helpers.ts';
import { has } from '../../helpers/has-command.ts';

const skip =
  !(process.getuid?.() === 0 && ['wireguard-go', 'nft', 'ovsdb-server'].every(has)) &&
  'needs root, wireguard-go, nft, ovsdb-server';

test('net.* over the daemon and the typed client', { skip, timeout: 120_000 }, async (t) => {
  await ensureBundle();
  const ovs = await startOvs(t, { vswitchd: false });
  const env = { OVS_PLUGIN_STATE: join(ovs.dir, 'nics.json') };
  const netid = `d${randomBytes(4).toString('hex')}`;
  // Whatever happens, the NR goes (its wireguard-go socket is in the machine's /run/wireguard).
  t.after(async () => {
    await execPlugin(ovs, 'net.delete', { netid }, env).catch(() => undefined);
    await run('ip', ['netns', 'del', `n-${netid}`], { allowFailure: true });
  });
  const d = await startDaemon(t, ovs, 'plugin.sock', env);
  const c = await OvsPluginClient.connect(d.socket);
  t.after(() => c.close());
  const port = 30000 + (randomBytes(2).readUInt16BE(0) % 20000);
  const network = {
    ip_range: '10.90.0.0/16',
    subnet: '10.90.4.0/24',
    wireguard_private_key: generateKeyPair().privateKey,
    wireguard_listen_port: port,
    peers: [],
  };
  const r = await c.netApply({ netid, network });
  assert.equal(r.namespace, `n-${netid}`);
  assert.equal(r.changed, true);
  assert.equal((await c.netApply({ netid, network })).changed, false);
  assert.equal(await c.netNamespace({ netid }), `n-${netid}`);
  assert.deepEqual(
    (await c.netList()).map((x) => [x.netid, x.phase, x.listen_port]),
    [[netid, 'applied', port]],
  );
  assert.equal((await c.netCheck({ netid })).ok, true);
  const refused = await c.netApply({ netid, network: { ...network, wireguard_listen_port: port + 1 } }).then(
    () => undefined,
    (e: AppError) => e,
  );
  assert.equal(refused?.code, 'EINVALID');
  assert.equal(refused?.details.field, 'network.wireguard_listen_port');
  assert.equal(await c.netDelete({ netid }), null);
  assert.deepEqual(await c.netList(), []);
  const gone = await c.netNamespace({ netid }).then(
    () => undefined,
    (e: AppError) => e,
  );
  assert.equal(gone?.code, 'ENOTFOUND');
});
