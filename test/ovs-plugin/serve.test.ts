// The daemon and its typed client: JSON-RPC 2.0 per line, socket 0600, concurrent clients whose
// failures stay their own, shared transactions, clean SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { OvsPluginClient } from '../../ovs-plugin/transports/client.ts';
import { startOvs } from '../helpers/ovs.ts';
import { ensureBundle, portsOf, startDaemon } from './helpers.ts';

/** Sends raw lines and collects `n` reply lines. */
function raw(socket: string, text: string, n: number): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const s = createConnection(socket, () => s.write(text));
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n').filter((l) => l);
      if (lines.length >= n) {
        s.destroy();
        resolve(lines.map((l) => JSON.parse(l)));
      }
    });
    s.on('error', reject);
  });
}

test('daemon: typed client, protocol errors, isolation of failures, batching, SIGTERM', async (t) => {
  await ensureBundle();
  const ovs = await startOvs(t);
  const d = await startDaemon(t, ovs);
  assert.equal(statSync(d.socket).mode & 0o777, 0o600);

  const twin = await startDaemon(t, ovs, 'plugin.sock').then(
    () => 'started',
    (e: Error) => e.message,
  );
  assert.match(twin, /ESOCKETINUSE.*another daemon is serving/, 'a second daemon on a live socket refuses');
  assert.ok(existsSync(d.socket), "and leaves the first one's socket alone");

  const a = await OvsPluginClient.connect(d.socket);
  const b = await OvsPluginClient.connect(d.socket);
  t.after(() => {
    a.close();
    b.close();
  });
  assert.equal(await a.bridgeAdd({ bridge: 'backplane' }), null);
  assert.equal(await b.vlanEnsure({ master: 'backplane', vlan: 10 }), 'vlbr10');
  assert.equal(await a.vlanEnsure({ master: 'backplane', vlan: 10 }), 'vlbr10');
  await assert.rejects(
    a.vlanEnsure({ master: 'backplane', vlan: 4095 }),
    (e: any) => e.code === 'EINVALID' && e.details.field === 'vlan',
  );
  await assert.rejects(a.bridgeAdd({ bridge: 'backplane' }), (e: any) => e.code === 'EEXIST');
  await assert.rejects(a.call('ovs.nope', {}), (e: any) => e.code === 'EUNKNOWN');

  // Protocol errors are answered and the connection keeps working.
  const replies = await raw(
    d.socket,
    'not json\n' +
      '{"jsonrpc":"2.0","method":"ovs.bridge-add","params":{"bridge":"notified"}}\n' +
      '{"jsonrpc":"2.0","id":7,"method":"ovs.vlan-ensure","params":{"master":"backplane","vlan":10}}\n',
    2,
  );
  assert.equal(replies[0].error.code, -32700);
  assert.deepEqual(replies[1], { jsonrpc: '2.0', id: 7, result: 'vlbr10' }, 'the notification got no answer');
  assert.equal(await ovs.vsctl('br-exists', 'notified'), '', 'but was carried out');
  const [big] = await raw(
    d.socket,
    `{"jsonrpc":"2.0","id":1,"method":"ovs.bridge-add","params":{"bridge":"${'x'.repeat(70000)}"}}\n`,
    1,
  );
  assert.equal(big.error.data.code, 'EREQUEST');

  // Many at once from two clients: good ones succeed together, bad ones fail alone.
  const good = Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).vlanEnsure({ master: 'backplane', vlan: 100 + i }));
  const bad = [
    a.vlanEnsure({ master: 'backplane', vlan: 101, name: 'wrong' }), // conflicts with a good one
    b.vlanEnsure({ master: 'nosuch', vlan: 300 }),
    a.portAdd({ bridge: 'backplane', port: 'backplane' }),
    // the schema's enum: refused before planning
    b.set({ table: 'Port', record: 'backplane', values: { vlan_mode: 'bogus' } }),
    // Both plan fine against the same snapshot, but share the new interface name dupx: their
    // shared transaction fails, is re-run one by one, and only the second one fails.
    a.portAdd({ bridge: 'backplane', port: 'dupx' }),
    a.bondAdd({ bridge: 'backplane', port: 'bondx', links: ['dupx', 'dupy'] }),
  ];
  const res = await Promise.allSettled([...good, ...bad]);
  for (const [i, r] of res.slice(0, 30).entries())
    assert.deepEqual(r, { status: 'fulfilled', value: `vlbr${100 + i}` });
  assert.deepEqual(
    res.slice(30).map((r) => (r.status === 'rejected' ? (r.reason as any).code : r.value)),
    ['ECONFLICT', 'ENOTFOUND', 'EEXIST', 'EINVALID', null, 'EEXIST'],
  );
  assert.equal((res[35] as PromiseRejectedResult).reason.details.field, 'links[0]');
  const bridges = async () => (await ovs.vsctl('list-br')).split('\n').length;
  assert.deepEqual(await portsOf(ovs, 'backplane'), ['dupx']);
  assert.equal(await bridges(), 33, 'backplane, notified and 31 VLAN (fake) bridges: vlbr10 and the 30');

  // SIGTERM: in-flight commands are answered, the socket is removed, exit 0.
  const inflight = Array.from({ length: 10 }, (_, i) => a.vlanEnsure({ master: 'backplane', vlan: 500 + i }));
  await new Promise((r) => setTimeout(r, 5));
  d.proc.kill('SIGTERM');
  const settled = await Promise.allSettled(inflight);
  const answered = settled.filter((r) => r.status === 'fulfilled').length;
  for (const r of settled)
    if (r.status === 'rejected') assert.ok(['ECONN', 'ESHUTDOWN'].includes((r.reason as any).code), String(r.reason));
  assert.ok(answered > 0, 'requests sent before SIGTERM were answered');
  assert.equal(await d.exited, 0, d.output());
  assert.ok(!existsSync(d.socket), 'socket removed');
  const stats = /ovs-plugin-stopped transactions=(\d+) commands=(\d+) maxBatch=(\d+) splits=(\d+)/.exec(d.output());
  assert.ok(stats, d.output());
  assert.ok(Number(stats[3]) > 1, `commands that arrived together shared a transaction: ${stats[0]}`);
  assert.ok(
    Number(stats[4]) >= 1,
    `the shared transaction with the clashing names failed and was re-run one by one: ${stats[0]}`,
  );
  assert.equal(await bridges(), 33 + answered);
});
