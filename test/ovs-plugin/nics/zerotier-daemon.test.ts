// The zerotier nic through the daemon (`ovs-plugin serve`, as zinit runs it on a node) and its
// typed client: attach answers OK with the network's address, the member started by the daemon
// outlives nothing it should (detach stops it: no member left, the daemon reaps it), and a
// member's own namespace is not taken for the container: the container's netns name deleted,
// the daemon's gc (OVS_PLUGIN_GC_MS) removes the nic, stops the member and removes its home.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { deleteNetns } from '../../../lib/netns.ts';
import { OvsPluginClient } from '../../../ovs-plugin/transports/client.ts';
import { makeNetns } from '../../helpers/netns.ts';
import { until, ztNode, ztPidsUnder, ztWorld } from '../../helpers/zerotier.ts';
import { startDaemon } from '../helpers.ts';

test('zerotier through the daemon: attach, detach; a container whose netns went is cleaned by gc', async (t) => {
  const w = await ztWorld(t);
  const n = await ztNode(t, w, 1);
  const d = await startDaemon(t, { ns: n.ns, dir: dirname(n.state), url: n.env.OVS_DB! }, 'plugin.sock', {
    ...n.env,
    OVS_PLUGIN_GC_MS: '500',
  });
  const client = await OvsPluginClient.connect(d.socket);
  t.after(() => client.close());
  const nwid = await w.network(22, true);
  const members = () => ztPidsUnder(dirname(n.state));
  const homes = () => readdir(join(dirname(n.state), 'zerotier')).catch(() => [] as string[]);
  for (const round of [1, 2]) {
    const c = await makeNetns(t, 'zc');
    await client.nicAttach({ target: { netns: c }, nic: { type: 'default' } });
    const a = await client.nicAttach({ target: { netns: c }, nic: { type: 'zerotier', id: nwid } });
    assert.equal(a.network_status, 'OK', JSON.stringify(a));
    assert.match(a.addresses[0]!, /^10\.147\.22\.\d+\/24$/);
    assert.equal((await members()).length, 1);
    if (round === 1) {
      await client.nicDetach({ target: { netns: c }, name: a.name });
    } else {
      // The container goes; its namespace lives on in the member until gc stops it.
      await deleteNetns(c);
      await until('the daemon gc removed both nics', 30_000, async () =>
        (await client.nicList({ target: { netns: c } })).length === 0 ? true : undefined,
      );
    }
    assert.deepEqual(await members(), [], `round ${round}: no member left`);
    assert.deepEqual(await homes(), [], `round ${round}: no home left`);
  }
});
