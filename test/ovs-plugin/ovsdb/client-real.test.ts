// The client against a private ovsdb-server + ovs-vswitchd (userspace datapath).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectOvsdb, type Client } from '../../../ovs-plugin/ovsdb/client.ts';
import { OvsdbError } from '../../../lib/errors.ts';
import { namedUuid, ovsMap, ovsSet, uuidOf, mapToObject, uuidsOf } from '../../../ovs-plugin/ovsdb/notation.ts';
import type { Operation } from '../../../ovs-plugin/ovsdb/types.ts';
import { transactAndWait, VSWITCH_DB } from '../../../ovs-plugin/ovsdb/vswitch.ts';
import { randomName } from '../../helpers/netns.ts';
import { startOvs } from '../../helpers/ovs.ts';

/** Ops that add bridge `name` (netdev) with its internal port, like `ovs-vsctl add-br`. */
function addBridgeOps(name: string, ovsUuid: string): Operation[] {
  return [
    { op: 'insert', table: 'Interface', row: { name, type: 'internal' }, 'uuid-name': 'iface' },
    { op: 'insert', table: 'Port', row: { name, interfaces: namedUuid('iface') }, 'uuid-name': 'port' },
    {
      op: 'insert',
      table: 'Bridge',
      row: { name, ports: namedUuid('port'), datapath_type: 'netdev', external_ids: ovsMap({ owner: 'test' }) },
      'uuid-name': 'br',
    },
    {
      op: 'mutate',
      table: 'Open_vSwitch',
      where: [['_uuid', '==', ['uuid', ovsUuid]]],
      mutations: [['bridges', 'insert', ovsSet([namedUuid('br')])]],
    },
  ];
}

async function client(t: { after: (fn: () => Promise<void>) => void }, url: string): Promise<Client> {
  const c = await connectOvsdb(url, { requestTimeoutMs: 10000 });
  t.after(() => c.close());
  return c;
}

test('transact: insert, select, mutate, wait against ovsdb-server', async (t) => {
  const ovs = await startOvs(t, { vswitchd: false });
  const c = await client(t, ovs.url);
  const name = randomName('b');
  const [ins] = await c.transact(VSWITCH_DB, [
    { op: 'insert', table: 'Bridge', row: { name, external_ids: ovsMap({ a: '1' }) }, 'uuid-name': 'br' },
    { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['bridges', 'insert', ovsSet([namedUuid('br')])]] },
  ]);
  const id = uuidOf(ins!.uuid);
  const [sel] = await c.transact(VSWITCH_DB, [
    { op: 'select', table: 'Bridge', where: [['name', '==', name]], columns: ['_uuid', 'external_ids'] },
  ]);
  assert.equal(sel!.rows!.length, 1);
  assert.equal(uuidOf(sel!.rows![0]!._uuid), id);
  assert.deepEqual(mapToObject(sel!.rows![0]!.external_ids), { a: '1' });
  const [mut] = await c.transact(VSWITCH_DB, [
    {
      op: 'mutate',
      table: 'Bridge',
      where: [['name', '==', name]],
      mutations: [['external_ids', 'insert', ovsMap({ b: '2' })]],
    },
  ]);
  assert.equal(mut!.count, 1);
  assert.equal(await ovs.vsctl('get', 'Bridge', name, 'external_ids:b'), '"2"');
  // A wait that holds passes; one that does not fails the whole transaction with the op index.
  await c.transact(VSWITCH_DB, [
    {
      op: 'wait',
      table: 'Bridge',
      where: [['name', '==', name]],
      columns: ['name'],
      until: '==',
      rows: [{ name }],
      timeout: 0,
    },
  ]);
  const before = await ovs.snapshot();
  await assert.rejects(
    c.transact(VSWITCH_DB, [
      {
        op: 'mutate',
        table: 'Bridge',
        where: [['name', '==', name]],
        mutations: [['external_ids', 'insert', ovsMap({ c: '3' })]],
      },
      {
        op: 'wait',
        table: 'Bridge',
        where: [['name', '==', name]],
        columns: ['name'],
        until: '!=',
        rows: [{ name }],
        timeout: 0,
      },
    ]),
    (e: unknown) =>
      e instanceof OvsdbError &&
      e.code === 'EOVSDB_TXN' &&
      (e.details as { opIndex: number }).opIndex === 1 &&
      /timed out/.test(e.message),
  );
  assert.equal(await ovs.snapshot(), before, 'failed transaction changed nothing');
});

test('transact: commit failure (trailing error) is a typed error with opIndex = ops.length', async (t) => {
  const ovs = await startOvs(t, { vswitchd: false });
  const c = await client(t, ovs.url);
  const name = randomName('b');
  // Two bridges with one name violate Bridge's index: only detected at commit.
  const ops: Operation[] = [
    { op: 'insert', table: 'Bridge', row: { name }, 'uuid-name': 'a' },
    { op: 'insert', table: 'Bridge', row: { name }, 'uuid-name': 'b' },
    {
      op: 'mutate',
      table: 'Open_vSwitch',
      where: [],
      mutations: [['bridges', 'insert', ovsSet([namedUuid('a'), namedUuid('b')])]],
    },
  ];
  await assert.rejects(
    c.transact(VSWITCH_DB, ops),
    (e: unknown) =>
      e instanceof OvsdbError &&
      e.code === 'EOVSDB_TXN' &&
      (e.details as { opIndex: number }).opIndex === 3 &&
      /constraint violation/.test(e.message),
  );
});

test('monitor keeps the cache current (insert, modify, delete)', async (t) => {
  const ovs = await startOvs(t, { vswitchd: false });
  const c = await client(t, ovs.url);
  await c.monitor(VSWITCH_DB, { Bridge: { columns: ['name', 'external_ids'] }, Open_vSwitch: {} });
  assert.equal(c.rows('Bridge').length, 0);
  assert.equal(c.rows('Open_vSwitch').length, 1);
  const name = randomName('b');
  await ovs.vsctl('--no-wait', 'add-br', name);
  await c.waitFor(() => c.rows('Bridge').some((r) => r.name === name), 5000);
  await ovs.vsctl('--no-wait', 'set', 'Bridge', name, 'external_ids:x=y');
  await c.waitFor(() => c.rows('Bridge').some((r) => mapToObject(r.external_ids).x === 'y'), 5000);
  const ovsRow = c.rows('Open_vSwitch')[0]!;
  assert.equal(uuidsOf(ovsRow.bridges).length, 1);
  await ovs.vsctl('--no-wait', 'del-br', name);
  await c.waitFor(() => c.rows('Bridge').length === 0, 5000);
});

test('transactAndWait: ovs-vswitchd applies the bridge (cur_cfg >= next_cfg)', async (t) => {
  const ovs = await startOvs(t);
  t.diagnostic(`ovs-vswitchd control socket up after ${ovs.vswitchdStartMs} ms`);
  const c = await client(t, ovs.url);
  const ovsUuid = await ovs.vsctl('get', 'Open_vSwitch', '.', '_uuid');
  const name = randomName('br');
  const t0 = performance.now();
  const { nextCfg } = await transactAndWait(c, addBridgeOps(name, ovsUuid), 10000);
  t.diagnostic(`add bridge + wait: ${Math.round(performance.now() - t0)} ms`);
  assert.ok(nextCfg! >= 1);
  assert.ok(Number(await ovs.vsctl('get', 'Open_vSwitch', '.', 'cur_cfg')) >= nextCfg!);
  // ovs-vswitchd made the internal port in the test namespace.
  assert.match(await ovs.vsctl('list-br'), new RegExp(name));
  const { run } = await import('../../../lib/exec.ts');
  const links = (await run('ip', ['-n', ovs.ns, '-o', 'link'])).stdout;
  assert.match(links, new RegExp(`: ${name}[:@]`));
  // wait:false skips the cfg bump.
  const r = await transactAndWait(
    c,
    [{ op: 'select', table: 'Bridge', where: [['name', '==', name]], columns: ['name'] }],
    1000,
    { wait: false },
  );
  assert.equal(r.nextCfg, undefined);
  assert.equal(r.results[0]!.rows!.length, 1);
});

test('transactAndWait without ovs-vswitchd times out with EOVSDB_TIMEOUT (change committed)', async (t) => {
  const ovs = await startOvs(t, { vswitchd: false });
  const c = await client(t, ovs.url);
  const name = randomName('b');
  await assert.rejects(
    transactAndWait(c, [{ op: 'insert', table: 'Bridge', row: { name } }], 300),
    (e: unknown) =>
      e instanceof OvsdbError && e.code === 'EOVSDB_TIMEOUT' && (e.details as { committed: boolean }).committed,
  );
});

test("ovsdb-server sends a commit's monitor update before the transact reply: cache current on resolve", async (t) => {
  const ovs = await startOvs(t, { vswitchd: false });
  const c = await client(t, ovs.url);
  await c.monitor(VSWITCH_DB, { Bridge: { columns: ['name'] } });
  for (let i = 0; i < 20; i++) {
    const [ins] = await c.transact(VSWITCH_DB, [
      { op: 'insert', table: 'Bridge', row: { name: randomName('b') }, 'uuid-name': 'br' },
      { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['bridges', 'insert', namedUuid('br')]] },
    ]);
    assert.ok(c.cache.get('Bridge')?.has(uuidOf(ins!.uuid)), `insert ${i} is in the cache when transact resolves`);
  }
});
