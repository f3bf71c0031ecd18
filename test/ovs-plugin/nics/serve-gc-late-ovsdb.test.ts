// The daemon's start-up gc when it cannot reach OVSDB: a vlan attach a killed exec left needs
// OVSDB to be undone, so the start-up gc waits OVS_TIMEOUT for it, fails (logged), and the daemon
// serves anyway; once OVSDB is reachable, gc runs again and undoes it (no timer: GC_MS 0). The
// daemon's url is a path that later becomes a link to the running ovsdb-server, so ovs-vswitchd
// stays connected throughout and applies the undo at once.
import { test } from 'node:test';
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { runIn } from '../../../lib/netns.ts';
import { OvsPluginClient } from '../../../ovs-plugin/transports/client.ts';
import { BUNDLE, pluginEnv, startDaemon } from '../helpers.ts';
import { container, nicEnv } from './helpers.ts';

test(
  'serve: start-up gc with OVSDB down fails within OVS_TIMEOUT, serves, ' + 'and runs again when OVSDB comes up',
  async (t) => {
    const e = await nicEnv(t);
    const c1 = await container(t);
    const nothing = JSON.parse(await e.snapshot(c1));
    const killed = await runIn(
      { name: e.host },
      'node',
      [BUNDLE, 'nic.attach', JSON.stringify({ target: { netns: c1 }, nic: { type: 'vlan', id: 12 } })],
      {
        env: { ...pluginEnv(e.ovs), OVS_PLUGIN_STATE: e.state, OVS_PLUGIN_FAILPOINT: 'attach:plugged' },
        timeoutMs: 30000,
      },
    ).catch((err) => err);
    assert.equal(killed.signal, 'SIGKILL');
    const late = join(e.ovs.dir, 'late.sock');
    const d = await startDaemon(t, { ns: e.ovs.ns, dir: e.ovs.dir, url: `unix:${late}` }, 'plugin.sock', {
      OVS_PLUGIN_STATE: e.state,
      OVS_TIMEOUT: '4000',
      OVS_PLUGIN_GC_MS: '0',
    });
    assert.match(d.output(), /nic-gc-failed code=EOVSDB_CONN/);
    const c = await OvsPluginClient.connect(d.socket);
    t.after(() => c.close());
    assert.equal((await c.nicList()).length, 1, 'served without OVSDB; the half attach is still recorded');

    await symlink(e.ovs.sock, late);
    const end = Date.now() + 60000;
    while (!/nic-gc .*undone/.test(d.output())) {
      assert.ok(Date.now() < end, `gc did not run once OVSDB came up: ${d.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(await c.nicList(), []);
    const after = JSON.parse(await e.snapshot(c1));
    assert.deepEqual([after.others, after.state], [nothing.others, []], 'the killed attach left nothing');
    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0, d.output());
  },
);
