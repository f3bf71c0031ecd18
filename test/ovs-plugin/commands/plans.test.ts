// Planners are pure: (arguments, cache snapshot) -> operations. Checked here without a server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CachedRow, Operation, OvsMap } from '../../../ovs-plugin/ovsdb/types.ts';
import { lookup } from '../../../ovs-plugin/commands/registry.ts';
import { View, OWNER_KEY } from '../../../ovs-plugin/planners/view.ts';
import { mutates } from '../../../ovs-plugin/planners/plan.ts';

const env = { datapathType: 'netdev' };
const owned: OvsMap = ['map', [[OWNER_KEY, 'ovs-plugin']]];

/** A tiny cache: Open_vSwitch root, bridge `backplane` (ours) with its internal port. */
function cache(extra: (c: Map<string, Map<string, CachedRow>>) => void = () => {}) {
  const c = new Map<string, Map<string, CachedRow>>([
    ['Open_vSwitch', new Map()],
    ['Bridge', new Map()],
    ['Port', new Map()],
    ['Interface', new Map()],
  ]);
  const put = (t: string, id: string, row: Record<string, unknown>) =>
    c.get(t)!.set(id, { ...row, _uuid: ['uuid', id] } as CachedRow);
  put('Open_vSwitch', 'root', { bridges: ['set', [['uuid', 'b1']]] });
  put('Bridge', 'b1', { name: 'backplane', ports: ['set', [['uuid', 'p1']]], external_ids: owned });
  put('Port', 'p1', { name: 'backplane', interfaces: ['uuid', 'i1'], tag: ['set', []], external_ids: owned });
  put('Interface', 'i1', { name: 'backplane', type: 'internal', external_ids: owned });
  extra(c);
  return c;
}

const plan = (cmd: string, args: unknown, c = cache(), e: typeof env & { vlanLayout?: 'fake' | 'patch' } = env) => {
  const { command } = lookup(cmd);
  if (command.mode !== 'plan') throw new Error(`${cmd} is not a plan command`);
  return command.plan(command.validate(args), e)(new View(c), 'x_');
};
const ofKind = (ops: Operation[], op: string, table?: string) =>
  ops.filter((o) => o.op === op && (!table || ('table' in o && o.table === table)));

test('vlan-ensure on an empty switch: one fake bridge, a tagged internal port of the master', () => {
  const p = plan('vlan-ensure', { master: 'backplane', vlan: 42 });
  assert.equal(p.result, 'vlbr42');
  const inserts = ofKind(p.ops, 'insert');
  assert.deepEqual(inserts.map((o) => `${(o as any).table}:${(o as any).row.name}`).sort(), [
    'Interface:vlbr42',
    'Port:vlbr42',
  ]);
  const port = inserts.find((o) => (o as any).table === 'Port') as any;
  assert.deepEqual([port.row.tag, port.row.fake_bridge], [42, true]);
  assert.equal((inserts.find((o) => (o as any).table === 'Interface') as any).row.type, 'internal');
  assert.deepEqual(
    ofKind(p.ops, 'mutate').map((o) => (o as any).table),
    ['Bridge'],
    'no new Bridge row',
  );
  assert.ok(
    ofKind(p.ops, 'wait').some((w) => JSON.stringify((w as any).where).includes('fake_bridge')),
    'no other fake bridge of the tag',
  );
  assert.ok(p.claims.includes('Vlan:42') && p.reads!.includes('Bridge:backplane'));
  // VLAN 0 is v1's trunk patch, whatever the layout.
  assert.ok(ofKind(plan('vlan-ensure', { master: 'backplane', vlan: 0 }).ops, 'insert', 'Bridge').length === 1);
});

test('vlan-ensure, layout patch, on an empty switch: one transaction with guards, the pair, the bridge', () => {
  const p = plan('vlan-ensure', { master: 'backplane', vlan: 42 }, cache(), { ...env, vlanLayout: 'patch' });
  assert.equal(p.result, 'vlbr42');
  const inserts = ofKind(p.ops, 'insert');
  assert.deepEqual(inserts.map((o) => `${(o as any).table}:${(o as any).row.name}`).sort(), [
    'Bridge:vlbr42',
    'Interface:vlbr42',
    'Interface:vlbr42in',
    'Interface:vlbr42p',
    'Port:vlbr42',
    'Port:vlbr42in',
    'Port:vlbr42p',
  ]);
  for (const o of inserts) assert.deepEqual((o as any).row.external_ids, ['map', [[OWNER_KEY, 'ovs-plugin']]]);
  const patch = inserts.find((o) => (o as any).table === 'Port' && (o as any).row.name === 'vlbr42p') as any;
  assert.equal(patch.row.tag, 42);
  const waits = ofKind(p.ops, 'wait');
  assert.ok(
    waits.every((w) => (w as any).timeout === 0),
    'guards never block',
  );
  assert.ok(
    waits.some((w) => (w as any).table === 'Bridge' && JSON.stringify((w as any).where).includes('vlbr42')),
    'bridge name must be free',
  );
  assert.equal(ofKind(p.ops, 'mutate', 'Open_vSwitch').length, 1);
  assert.equal(ofKind(p.ops, 'mutate', 'Bridge').length, 1);
  assert.ok(
    p.ops.every((o) => !('uuid-name' in o) || o['uuid-name']!.startsWith('x_')),
    'uuid-names carry the batch prefix',
  );
  assert.ok(p.claims.includes('Bridge:vlbr42') && p.reads!.includes('Bridge:backplane'));
});

test('vlan-ensure when it exists: only waits (changes nothing); conflicts throw before any op', () => {
  const built = cache((c) => {
    c.get('Bridge')!.get('b1')!.ports = [
      'set',
      [
        ['uuid', 'p1'],
        ['uuid', 'pp'],
      ],
    ];
    c.get('Bridge')!.set('b2', {
      _uuid: ['uuid', 'b2'],
      name: 'vlbr42',
      ports: [
        'set',
        [
          ['uuid', 'p2'],
          ['uuid', 'pi'],
        ],
      ],
      external_ids: owned,
    } as CachedRow);
    c.get('Port')!.set('pp', {
      _uuid: ['uuid', 'pp'],
      name: 'vlbr42p',
      tag: 42,
      interfaces: ['uuid', 'ip'],
      external_ids: owned,
    } as CachedRow);
    c.get('Port')!.set('pi', {
      _uuid: ['uuid', 'pi'],
      name: 'vlbr42in',
      tag: ['set', []],
      interfaces: ['uuid', 'ii'],
      external_ids: owned,
    } as CachedRow);
    c.get('Port')!.set('p2', {
      _uuid: ['uuid', 'p2'],
      name: 'vlbr42',
      interfaces: ['uuid', 'i2'],
      external_ids: owned,
    } as CachedRow);
    c.get('Interface')!.set('ip', {
      _uuid: ['uuid', 'ip'],
      name: 'vlbr42p',
      type: 'patch',
      options: ['map', [['peer', 'vlbr42in']]],
      external_ids: owned,
    } as CachedRow);
    c.get('Interface')!.set('ii', {
      _uuid: ['uuid', 'ii'],
      name: 'vlbr42in',
      type: 'patch',
      options: ['map', [['peer', 'vlbr42p']]],
      external_ids: owned,
    } as CachedRow);
  });
  const p = plan('vlan-ensure', { master: 'backplane', vlan: 42 }, built);
  assert.equal(p.result, 'vlbr42');
  assert.ok(!mutates(p.ops) && p.ops.length > 0);
  assert.throws(
    () => plan('vlan-ensure', { master: 'backplane', vlan: 42, name: 'other' }, built),
    (e: any) => e.code === 'ECONFLICT',
  );
  assert.throws(
    () => plan('vlan-ensure', { master: 'backplane', vlan: 43, name: 'vlbr42' }, built),
    (e: any) => e.code === 'ECONFLICT' && /vlan 42/.test(e.message),
  );
  assert.throws(
    () => plan('vlan-ensure', { master: 'nosuch', vlan: 42 }, built),
    (e: any) => e.code === 'ENOTFOUND',
  );
  const del = plan('vlan-del', { vlan: 42 }, built);
  assert.deepEqual(
    ofKind(del.ops, 'mutate')
      .map((o) => (o as any).table)
      .sort(),
    ['Bridge', 'Open_vSwitch'],
  );
});

test('bridge-add, port-add, set: inserts when new, waits or targeted updates when present', () => {
  const add = plan('bridge-add', { bridge: 'br1', options: { 'other_config:a': 'b', stp_enable: 'true' } });
  const br = ofKind(add.ops, 'insert', 'Bridge')[0] as any;
  assert.equal(br.row.datapath_type, 'netdev');
  assert.equal(br.row.stp_enable, true);
  assert.deepEqual(br.row.other_config, ['map', [['a', 'b']]]);
  assert.throws(
    () => plan('bridge-add', { bridge: 'backplane' }),
    (e: any) => e.code === 'EEXIST',
  );
  assert.ok(!mutates(plan('bridge-add', { bridge: 'backplane', may_exist: true }).ops));
  const port = plan('port-add', {
    bridge: 'backplane',
    port: 'tap0',
    vlan: 7,
    options: { type: 'internal', 'options:x': 'y' },
  });
  const iface = ofKind(port.ops, 'insert', 'Interface')[0] as any;
  assert.deepEqual([iface.row.type, iface.row.options], ['internal', ['map', [['x', 'y']]]]);
  assert.equal((ofKind(port.ops, 'insert', 'Port')[0] as any).row.tag, 7);
  const set = plan('set', {
    table: 'Interface',
    record: 'backplane',
    values: { type: 'internal', mtu_request: '9000' },
  });
  assert.deepEqual(
    ofKind(set.ops, 'update').map((o) => (o as any).row),
    [{ mtu_request: 9000 }],
    'only what differs is written',
  );
  assert.throws(
    () => plan('port-del', { port: 'backplane' }),
    (e: any) => e.code === 'ECONFLICT',
  );
});

test(
  'a fake bridge: repeat only waits; ' +
    'port-add onto it is a tagged port of the parent; conflicts; vlan-del, bridge-del',
  () => {
    const built = cache((c) => {
      c.get('Bridge')!.get('b1')!.ports = [
        'set',
        [
          ['uuid', 'p1'],
          ['uuid', 'pf'],
        ],
      ];
      c.get('Port')!.set('pf', {
        _uuid: ['uuid', 'pf'],
        name: 'vlbr42',
        tag: 42,
        fake_bridge: true,
        interfaces: ['uuid', 'if'],
        external_ids: owned,
      } as CachedRow);
      c.get('Interface')!.set('if', {
        _uuid: ['uuid', 'if'],
        name: 'vlbr42',
        type: 'internal',
        external_ids: owned,
      } as CachedRow);
    });
    const again = plan('vlan-ensure', { master: 'backplane', vlan: 42 }, built);
    assert.equal(again.result, 'vlbr42');
    assert.ok(!mutates(again.ops) && again.ops.length > 0);
    assert.equal(
      plan('vlan-ensure', { master: 'backplane', vlan: 42 }, built, { ...env, vlanLayout: 'patch' }).result,
      'vlbr42',
      'an existing VLAN keeps its layout',
    );
    assert.throws(
      () => plan('vlan-ensure', { master: 'backplane', vlan: 42, name: 'other' }, built),
      (e: any) => e.code === 'ECONFLICT',
    );
    assert.throws(
      () => plan('vlan-ensure', { master: 'backplane', vlan: 43, name: 'vlbr42' }, built),
      (e: any) => e.code === 'ECONFLICT' && /vlan 42/.test(e.message),
    );
    const add = plan('port-add', { bridge: 'vlbr42', port: 'c1' }, built);
    assert.equal((ofKind(add.ops, 'insert', 'Port')[0] as any).row.tag, 42);
    assert.deepEqual(
      (ofKind(add.ops, 'mutate', 'Bridge')[0] as any).where,
      [['_uuid', '==', ['uuid', 'b1']]],
      'onto the parent',
    );
    assert.ok(add.reads!.includes('Port:vlbr42'), 'a vlan-del of the fake bridge cannot share its transaction');
    assert.throws(
      () => plan('port-add', { bridge: 'vlbr42', port: 'c1', vlan: 7 }, built),
      (e: any) => e.code === 'ECONFLICT',
    );
    assert.throws(
      () => plan('port-del', { port: 'vlbr42' }, built),
      (e: any) => e.code === 'ECONFLICT' && /vlan-del/.test(e.message),
    );
    const del = plan('vlan-del', { vlan: 42 }, built);
    assert.deepEqual(
      ofKind(del.ops, 'mutate').map((o) => JSON.stringify((o as any).mutations)),
      [JSON.stringify([['ports', 'delete', ['set', [['uuid', 'pf']]]]])],
    );
    assert.throws(
      () => plan('vlan-del', { vlan: 42, name: 'x' }, built),
      (e: any) => e.code === 'ECONFLICT',
    );
    assert.ok(mutates(plan('bridge-del', { bridge: 'vlbr42' }, built).ops));
    const busy = cache((c) => {
      c.get('Bridge')!.get('b1')!.ports = [
        'set',
        [
          ['uuid', 'p1'],
          ['uuid', 'pf'],
          ['uuid', 'pc'],
        ],
      ];
      c.get('Port')!.set('pf', {
        _uuid: ['uuid', 'pf'],
        name: 'vlbr42',
        tag: 42,
        fake_bridge: true,
        interfaces: ['uuid', 'if'],
        external_ids: owned,
      } as CachedRow);
      c.get('Port')!.set('pc', {
        _uuid: ['uuid', 'pc'],
        name: 'c1',
        tag: 42,
        interfaces: ['uuid', 'ic'],
        external_ids: owned,
      } as CachedRow);
    });
    assert.throws(
      () => plan('vlan-del', { vlan: 42 }, busy),
      (e: any) => e.code === 'EBUSY' && /c1/.test(e.message),
    );
  },
);
