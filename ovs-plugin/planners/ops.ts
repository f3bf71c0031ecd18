// Small RFC 7047 operation builders shared by the commands (section 5.2). Preconditions are
// `wait` operations with timeout 0: if the database no longer matches what the plan was built
// from, the transaction fails whole and the engine re-plans from a fresh cache.
import type { Operation, Row, Value } from '../ovsdb/types.ts';
import { namedUuid, ovsMap, ovsSet, uuid } from '../ovsdb/notation.ts';
import { encodeColumns, type ColumnName, type Table } from '../ovsdb/rows.ts';
import type { Rows } from '../ovsdb/vswitch-schema.ts';
import { OWNER, OWNER_KEY, type Seen } from './view.ts';

/** external_ids of a row we create: the owner tag plus `extra`. */
export const ownedIds = (extra: Record<string, string> = {}): Value => ovsMap({ ...extra, [OWNER_KEY]: OWNER });

/** `row` with the owner tag merged into its external_ids (keeping caller-given keys). */
export function withOwner(row: Row = {}): Row {
  const given =
    Array.isArray(row.external_ids) && row.external_ids[0] === 'map' ? (row.external_ids[1] as [string, string][]) : [];
  return { ...row, external_ids: ownedIds(Object.fromEntries(given)) };
}

/** Fails the transaction unless no row of `table` is named `name`. */
export const waitAbsent = (table: string, name: string): Operation => ({
  op: 'wait',
  table,
  where: [['name', '==', name]],
  columns: ['name'],
  until: '==',
  rows: [],
  timeout: 0,
});

/** Fails the transaction unless row `id` of `table` still has exactly `cols`. */
export const waitRow = (table: string, id: string, cols: Row): Operation => ({
  op: 'wait',
  table,
  where: [['_uuid', '==', uuid(id)]],
  columns: Object.keys(cols),
  until: '==',
  rows: [cols],
  timeout: 0,
});

/** Fails the transaction unless typed row `row` of `table` still has its `columns` as the view saw them. */
export const waitUnchanged = <T extends Table>(table: T, row: Seen<T>, columns: readonly ColumnName<T>[]): Operation =>
  waitRow(table, row._uuid, encodeColumns(table, row as Partial<Rows[T]>, columns));

/** Fails the transaction unless row `id` still exists under the same name. */
export const waitNamed = (table: string, id: string, name: string): Operation => waitRow(table, id, { name });

/** Adds `refs` (uuids or named-uuids) to set column `column` of row `id`. */
export const addRefs = (table: string, id: string, column: string, refs: Value[]): Operation => ({
  op: 'mutate',
  table,
  where: [['_uuid', '==', uuid(id)]],
  mutations: [[column, 'insert', ovsSet(refs as never[])]],
});

/** Removes uuids `ids` from set column `column` of row `id`; unreferenced children are garbage-collected. */
export const delRefs = (table: string, id: string, column: string, ids: string[]): Operation => ({
  op: 'mutate',
  table,
  where: [['_uuid', '==', uuid(id)]],
  mutations: [[column, 'delete', ovsSet(ids.map(uuid))]],
});

/** What a new port looks like: its name, interfaces and Port columns. */
export interface PortSpec {
  name: string;
  /** Interfaces: name plus Interface columns (type, options, ...). */
  interfaces: { name: string; row?: Row }[];
  /** Extra Port columns (tag, bond_mode, lacp, ...). */
  row?: Row;
}

/**
 * Inserts a Port and its Interfaces, all owner-tagged, named `${p}port` etc.; returns the ops and
 * the named-uuid of the Port for the parent's `ports` mutation (Port/Interface are not root
 * tables: they must be referenced in the same transaction, RFC 7047 3.2).
 */
export function insertPort(prefix: string, spec: PortSpec): { ops: Operation[]; ref: Value } {
  const ops: Operation[] = [];
  const ifRefs = spec.interfaces.map((ifc, i) => {
    ops.push({
      op: 'insert',
      table: 'Interface',
      'uuid-name': `${prefix}if${i}`,
      row: withOwner({ name: ifc.name, ...ifc.row }),
    });
    return namedUuid(`${prefix}if${i}`);
  });
  ops.push({
    op: 'insert',
    table: 'Port',
    'uuid-name': `${prefix}port`,
    row: withOwner({ name: spec.name, interfaces: ovsSet(ifRefs), ...spec.row }),
  });
  return { ops, ref: namedUuid(`${prefix}port`) };
}

/**
 * Inserts a Bridge with its internal port (same name, as ovs-vsctl add-br does) plus `ports`,
 * and links it from the Open_vSwitch root row `rootId`.
 */
export function insertBridge(
  prefix: string,
  name: string,
  rootId: string,
  datapathType: string,
  ports: PortSpec[],
  row: Row = {},
): Operation[] {
  const all = [{ name, interfaces: [{ name, row: { type: 'internal' } }] }, ...ports];
  const inserted = all.map((spec, i) => insertPort(`${prefix}p${i}`, spec));
  const ops = inserted.flatMap((x) => x.ops);
  ops.push({
    op: 'insert',
    table: 'Bridge',
    'uuid-name': `${prefix}br`,
    row: withOwner({
      name,
      ports: ovsSet(inserted.map((x) => x.ref) as never[]),
      datapath_type: datapathType,
      ...row,
    }),
  });
  ops.push(addRefs('Open_vSwitch', rootId, 'bridges', [namedUuid(`${prefix}br`)]));
  return ops;
}

/** Guards that a new bridge's, port's or interface's name is free in all three tables. */
export const waitNamesFree = (bridges: string[], ports: string[], ifaces: string[]): Operation[] => [
  ...bridges.map((n) => waitAbsent('Bridge', n)),
  ...ports.map((n) => waitAbsent('Port', n)),
  ...ifaces.map((n) => waitAbsent('Interface', n)),
];

/** Fails the transaction unless bridge `brId` (named `name`) still holds port `portId`. */
export const waitHasPort = (brId: string, name: string, portId: string): Operation => ({
  op: 'wait',
  table: 'Bridge',
  where: [
    ['_uuid', '==', uuid(brId)],
    ['ports', 'includes', uuid(portId)],
  ],
  columns: ['name'],
  until: '==',
  rows: [{ name }],
  timeout: 0,
});

/** A patch interface row whose other end is `peer` (vswitchd.conf.db: Interface type patch). */
export const patchIface = (peer: string): Row => ({ type: 'patch', options: ovsMap({ peer }) });
