// Reconnect against a real ovsdb-server that is restarted under the client.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectOvsdb } from '../../../ovs-plugin/ovsdb/client.ts';
import { OvsdbError } from '../../../lib/errors.ts';
import { transactAndWait, VSWITCH_DB } from '../../../ovs-plugin/ovsdb/vswitch.ts';
import { randomName } from '../../helpers/netns.ts';
import { startOvs } from '../../helpers/ovs.ts';

test('ovsdb-server restart: monitors re-established, cache rebuilt, next transaction and wait succeed', async (t) => {
  const ovs = await startOvs(t);
  const c = await connectOvsdb(ovs.url, { backoffMinMs: 20, backoffMaxMs: 200, waitForConnectionMs: 5000 });
  t.after(() => c.close());
  await c.monitor(VSWITCH_DB, { Bridge: { columns: ['name'] } });
  const a = randomName('a');
  await ovs.addBridge(a);
  await c.waitFor(() => c.rows('Bridge').some((r) => r.name === a), 5000);

  const t0 = performance.now();
  await ovs.restartDb();
  // A bridge added while our client is (maybe) still reconnecting shows up via the new monitor.
  const b = randomName('b');
  await ovs.vsctl('--no-wait', 'add-br', b, '--', 'set', 'Bridge', b, 'datapath_type=netdev');
  await c.waitFor(() => c.rows('Bridge').some((r) => r.name === b), 5000);
  t.diagnostic(`monitor back ${Math.round(performance.now() - t0)} ms after the restart began`);
  assert.ok(c.reconnects >= 1);
  assert.deepEqual(
    c
      .rows('Bridge')
      .map((r) => r.name)
      .sort(),
    [a, b].sort(),
  );

  // The next command succeeds, including waiting for ovs-vswitchd (which reconnected too).
  const x = randomName('x');
  const t1 = performance.now();
  await transactAndWait(
    c,
    [{ op: 'update', table: 'Bridge', where: [['name', '==', b]], row: { external_ids: ['map', [['k', x]]] } }],
    10000,
  );
  t.diagnostic(
    `transactAndWait after the restart: ${Math.round(performance.now() - t1)} ms (ovs-vswitchd's own reconnect)`,
  );
  assert.equal((await ovs.vsctl('get', 'Bridge', b, 'external_ids:k')).replace(/"/g, ''), x);
});

test('a transaction sent while ovsdb-server is down waits and succeeds after it returns', async (t) => {
  const ovs = await startOvs(t, { vswitchd: false });
  const c = await connectOvsdb(ovs.url, { backoffMinMs: 20, backoffMaxMs: 100, waitForConnectionMs: 5000 });
  t.after(() => c.close());
  await ovs.stopDb();
  await new Promise((r) => setTimeout(r, 50));
  const name = randomName('b');
  const pending = c.transact(VSWITCH_DB, [
    { op: 'insert', table: 'Bridge', row: { name }, 'uuid-name': 'br' },
    { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['bridges', 'insert', ['named-uuid', 'br']]] },
  ]);
  await new Promise((r) => setTimeout(r, 200));
  await ovs.startDb();
  await pending;
  assert.equal(await ovs.vsctl('list-br'), name);
});

test('ovsdb-server gone for longer than waitForConnectionMs: EOVSDB_CONN', async (t) => {
  const ovs = await startOvs(t, { vswitchd: false });
  const c = await connectOvsdb(ovs.url, { backoffMinMs: 20, backoffMaxMs: 50, waitForConnectionMs: 300 });
  t.after(() => c.close());
  await ovs.stopDb();
  await assert.rejects(c.echo(), (e: unknown) => e instanceof OvsdbError && e.code === 'EOVSDB_CONN');
});

test('ovs-vswitchd down: transactAndWait times out (committed); back up: it catches up, waits succeed', async (t) => {
  const ovs = await startOvs(t);
  const c = await connectOvsdb(ovs.url, { waitForConnectionMs: 5000 });
  t.after(() => c.close());
  const ext = (v: string) => [
    {
      op: 'mutate' as const,
      table: 'Open_vSwitch',
      where: [],
      mutations: [['external_ids', 'insert', ['map', [[`k${v}`, v]]]] as never],
    },
  ];
  await transactAndWait(c, ext('1'), 5000);
  await ovs.stopVswitchd();
  await assert.rejects(
    transactAndWait(c, ext('2'), 200),
    (e: unknown) => e instanceof OvsdbError && e.code === 'EOVSDB_TIMEOUT',
  );
  assert.equal(
    (await ovs.vsctl('get', 'Open_vSwitch', '.', 'external_ids:k2')).replace(/"/g, ''),
    '2',
    'committed although not applied',
  );
  await ovs.startVswitchd();
  t.diagnostic(`ovs-vswitchd restarted, control socket after ${ovs.vswitchdStartMs} ms`);
  const t0 = performance.now();
  await transactAndWait(
    c,
    [{ op: 'update', table: 'Open_vSwitch', where: [], row: { external_ids: ['map', [['k', '3']]] } }],
    5000,
  );
  t.diagnostic(`first transactAndWait after the restart: ${Math.round(performance.now() - t0)} ms`);
  assert.equal(await ovs.appctl('ovs-vswitchd', 'version').then((v) => /ovs-vswitchd/.test(v)), true);
});
