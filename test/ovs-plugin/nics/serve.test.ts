// nic.* through the daemon and the typed client, sharing the state file with exec: an attach
// cut short by SIGKILL under exec is undone by the daemon's start-up gc; attach, list, check,
// detach through the client carry traffic and leave nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runIn } from '../../../lib/netns.ts';
import { OvsPluginClient } from '../../../ovs-plugin/transports/client.ts';
import { BUNDLE, pluginEnv, startDaemon } from '../helpers.ts';
import { container, nicEnv, pings, tcpEchoes } from './helpers.ts';

test(
  'serve: start-up gc undoes a killed exec attach; ' + 'typed client attach/list/check/detach with traffic',
  async (t) => {
    const e = await nicEnv(t);
    const [c1, c2] = [await container(t), await container(t)];
    const nothing = await e.snapshot(c1, c2);
    const killed = await runIn(
      { name: e.host },
      'node',
      [BUNDLE, 'nic.attach', JSON.stringify({ target: { netns: c1 }, nic: { type: 'vlan', id: 11 } })],
      {
        env: { ...pluginEnv(e.ovs), OVS_PLUGIN_STATE: e.state, OVS_PLUGIN_FAILPOINT: 'attach:plugged' },
        timeoutMs: 30000,
      },
    ).catch((err) => err);
    assert.equal(killed.signal, 'SIGKILL');
    const d = await startDaemon(t, e.ovs, 'plugin.sock', { OVS_PLUGIN_STATE: e.state });
    assert.match(d.output(), /nic-gc .*undone/);
    const c = await OvsPluginClient.connect(d.socket);
    t.after(() => c.close());
    const snap = JSON.parse(await e.snapshot(c1, c2));
    const want = JSON.parse(nothing);
    assert.deepEqual(snap.others, want.others, 'the killed attach left nothing in the target');
    assert.deepEqual(snap.state, []);

    const [a1, a2] = await Promise.all([
      c.nicAttach({ target: { netns: c1 }, nic: { type: 'vlan', id: 11, config: { cidr: '10.3.0.1/24' } } }),
      c.nicAttach({ target: { netns: c2 }, nic: { type: 'vlan', id: 11, config: { cidr: '10.3.0.2/24' } } }),
    ]);
    assert.equal(a1.bridge, 'vlbr11');
    assert.equal(a2.tag, 11);
    assert.ok(await pings(c1, '10.3.0.2'));
    assert.ok(await tcpEchoes(c2, '10.3.0.2', c1));
    assert.equal((await c.nicList()).length, 2);
    assert.deepEqual(await c.nicCheck({ target: { netns: c1 }, name: 'eth0' }), { ok: true, drift: [], repaired: [] });
    await assert.rejects(
      c.nicAttach({ target: { netns: c1 }, nic: { type: 'vlan', id: 99999 } }),
      (err: any) => err.code === 'EINVALID' && err.details.field === 'nic.id',
    );
    // exec sees what the daemon did (one state file, one lock).
    assert.equal((await e.call('nic.list', { target: { netns: c2 } })).value[0].result.addresses[0], '10.3.0.2/24');
    await c.nicDetach({ target: { netns: c1 }, name: 'eth0' });
    await c.nicDetach({ target: { netns: c2 }, name: 'eth0' });
    assert.deepEqual(await c.nicGc(), { finished: [], undone: [], removed: [], returned: [], orphans: [] });
    const after = JSON.parse(await e.snapshot(c1, c2));
    assert.deepEqual([after.others, after.state], [want.others, []]);
  },
);
