// ovsdb-server restarted under a running daemon: the client reconnects and re-monitors, and the
// next command succeeds (also one sent while the server is down, if it comes back in time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OvsPluginClient } from '../../ovs-plugin/transports/client.ts';
import { startOvs } from '../helpers/ovs.ts';
import { ensureBundle, startDaemon } from './helpers.ts';

test('ovsdb-server restart under the daemon: the next command succeeds', async (t) => {
  await ensureBundle();
  const ovs = await startOvs(t);
  const d = await startDaemon(t, ovs);
  const c = await OvsPluginClient.connect(d.socket);
  t.after(() => c.close());
  assert.equal(await c.bridgeAdd({ bridge: 'backplane' }), null);
  assert.equal(await c.vlanEnsure({ master: 'backplane', vlan: 7 }), 'vlbr7');

  await ovs.restartDb();
  assert.equal(await c.vlanEnsure({ master: 'backplane', vlan: 7 }), 'vlbr7', 'existing state seen after reconnect');
  assert.equal(await c.vlanEnsure({ master: 'backplane', vlan: 8 }), 'vlbr8');

  await ovs.stopDb();
  const during = c.vlanEnsure({ master: 'backplane', vlan: 9 });
  await new Promise((r) => setTimeout(r, 300));
  await ovs.startDb();
  assert.equal(await during, 'vlbr9', 'a command sent while the server was down completes once it is back');
  assert.equal(await ovs.vsctl('br-to-parent', 'vlbr9'), 'backplane', 'the VLAN (fake) bridge is there');
  assert.match(d.output(), /ovsdb-reconnected/);
});
