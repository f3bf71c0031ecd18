// ovs-vswitchd not running: changes are committed but never applied. Commands say so
// (EOVSDB_TIMEOUT after OVS_TIMEOUT) instead of reporting success, and the daemon does not
// multiply the wait by re-running a timed-out shared transaction command by command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OvsPluginClient } from '../../ovs-plugin/transports/client.ts';
import { startOvs } from '../helpers/ovs.ts';
import { ensureBundle, execPlugin, startDaemon } from './helpers.ts';

test('without ovs-vswitchd: EOVSDB_TIMEOUT, for the change and for its repeat', async (t) => {
  await ensureBundle();
  const ovs = await startOvs(t, { vswitchd: false });
  const env = { OVS_TIMEOUT: '300' };
  const first = await execPlugin(ovs, 'bridge-add', { bridge: 'backplane' }, env);
  assert.equal(first.value.code, 'EOVSDB_TIMEOUT', first.stdout);
  assert.equal(await ovs.vsctl('--no-wait', 'br-exists', 'backplane'), '', 'committed all the same');
  const again = await execPlugin(ovs, 'bridge-add', { bridge: 'backplane', may_exist: true }, env);
  assert.equal(again.value.code, 'EOVSDB_TIMEOUT', 'a repeat does not claim the switch applied it');

  const d = await startDaemon(t, ovs, 'plugin.sock', env);
  const c = await OvsPluginClient.connect(d.socket);
  t.after(() => c.close());
  const t0 = performance.now();
  const res = await Promise.allSettled(
    Array.from({ length: 12 }, (_, i) => c.vlanEnsure({ master: 'backplane', vlan: i + 1 })),
  );
  assert.ok(res.every((r) => r.status === 'rejected' && (r.reason as { code: string }).code === 'EOVSDB_TIMEOUT'));
  assert.ok(
    performance.now() - t0 < 3000,
    `answered in ${Math.round(performance.now() - t0)} ms, not 12 x the timeout`,
  );
});
