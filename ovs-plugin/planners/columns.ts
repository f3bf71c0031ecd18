// v1 option maps are ovs-vsctl `set` arguments: `column=value` or `column:key=value`, all values
// strings. This parses them by the column types of vswitch.ovsschema (ovsdb/vswitch-schema.ts:
// enums, integer ranges, string lengths, set sizes), only for the columns a client may sensibly
// set; anything else is refused by name. Names are looked up as own properties only.
import { ValidationError } from '../../lib/errors.ts';
import type { CachedRow, Condition, Operation, Row } from '../ovsdb/types.ts';
import { ovsMap, ovsSet } from '../ovsdb/notation.ts';
import {
  columnType,
  decodeValue,
  encodeValue,
  isScalar,
  isTable,
  sameDecoded,
  type ColumnName,
  type Decoded,
  type Scalar,
  type Table,
} from '../ovsdb/rows.ts';
import type { BaseType, ColumnType } from '../ovsdb/schema-types.ts';
import { parseMac } from '../../lib/validate.ts';
import { derivedForm } from './names.ts';
import { OWNER_KEY } from './view.ts';

/** Columns a client may set per table (their types come from the schema). */
export const SETTABLE = new Map<Table, readonly string[]>(
  Object.entries({
    Open_vSwitch: ['other_config', 'external_ids'],
    Bridge: [
      'other_config',
      'external_ids',
      'datapath_type',
      'stp_enable',
      'rstp_enable',
      'mcast_snooping_enable',
      'protocols',
      'fail_mode',
      'flood_vlans',
    ],
    Port: [
      'other_config',
      'external_ids',
      'tag',
      'trunks',
      'cvlans',
      'vlan_mode',
      'mac',
      'bond_mode',
      'lacp',
      'bond_updelay',
      'bond_downdelay',
      'bond_fake_iface',
      'fake_bridge',
      'protected',
    ],
    Interface: [
      'other_config',
      'external_ids',
      'type',
      'options',
      'mac',
      'mtu_request',
      'ofport_request',
      'bfd',
      'lldp',
      'ingress_policing_rate',
      'ingress_policing_burst',
    ],
  } satisfies { [T in Table]: readonly ColumnName<T>[] }) as [Table, readonly string[]][],
);

/** The tables `ovs.set` accepts. */
export const SETTABLE_TABLES = [...SETTABLE.keys()];

/** Columns holding 802.1Q VLAN ids: the schema allows 4095, which is reserved (we accept 0..4094). */
const VLAN_COLUMNS = new Set(['Port.tag', 'Port.trunks', 'Port.cvlans', 'Bridge.flood_vlans']);

/** Columns the schema leaves free strings that hold a MAC address (ovs-vswitchd ignores a bad one). */
const MAC_COLUMNS = new Set(['Port.mac', 'Interface.mac']);

/** One parsed `column[:key]=value` setting: a whole column value, or one map key. */
export type Setting = { column: string; type: ColumnType; field: string } & (
  | { key: Scalar; value: Scalar }
  | { key?: undefined; value: Decoded }
);

/** Elements of a set written as `a,b` or ovs-vsctl style `[a,b]`; `[]` or '' is empty. */
const setItems = (s: string): string[] =>
  s
    .replace(/^\[|\]$/g, '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

/** One atom from its string form, checked against the base type's enum and bounds. */
function atom(field: string, b: BaseType, s: string, vlan: boolean): Scalar {
  let v: Scalar;
  if (b.type === 'integer') {
    if (!/^-?\d{1,15}$/.test(s)) throw new ValidationError(field, `${JSON.stringify(s)} is not an integer`);
    v = Number(s);
    const max = vlan ? 4094 : b.maxInteger;
    if ((b.minInteger !== undefined && v < b.minInteger) || (max !== undefined && v > max)) {
      throw new ValidationError(field, `${v} is out of range ${b.minInteger ?? '-inf'}..${max ?? 'inf'}`);
    }
  } else if (b.type === 'real') {
    v = Number(s);
    if (s.trim() === '' || !Number.isFinite(v))
      throw new ValidationError(field, `${JSON.stringify(s)} is not a number`);
    if ((b.minReal !== undefined && v < b.minReal) || (b.maxReal !== undefined && v > b.maxReal))
      throw new ValidationError(field, `${v} is out of range`);
  } else if (b.type === 'boolean') {
    if (s !== 'true' && s !== 'false') throw new ValidationError(field, `${JSON.stringify(s)} is not true or false`);
    v = s === 'true';
  } else if (b.type === 'string') {
    const n = Buffer.byteLength(s);
    if ((b.minLength !== undefined && n < b.minLength) || (b.maxLength !== undefined && n > b.maxLength))
      throw new ValidationError(field, `length ${n} is out of range`);
    v = s;
  } else {
    throw new ValidationError(field, 'references other rows and cannot be set here');
  }
  if (b.enum && !b.enum.includes(v))
    throw new ValidationError(field, `${JSON.stringify(s)} is not one of ${b.enum.join(', ')}`);
  return v;
}

/** A whole column value from its string form (scalar, optional, set), checked for size. */
function columnValue(field: string, t: ColumnType, s: string, vlan: boolean): Decoded {
  if (t.value) throw new ValidationError(field, 'is a map: set its keys as column:key');
  if (isScalar(t)) return atom(field, t.key, s, vlan);
  const items = t.max === 1 ? (s === '' || s === '[]' ? [] : [s]) : setItems(s);
  const atoms = items.map((x) => atom(field, t.key, x, vlan));
  if (atoms.length < t.min || (t.max !== 'unlimited' && atoms.length > t.max)) {
    throw new ValidationError(field, `needs ${t.min}..${t.max} values, got ${atoms.length}`);
  }
  return t.max === 1 ? atoms[0] : atoms;
}

/** Parses and type-checks a settings map against `table`'s columns; throws naming `field.key`. */
export function parseSettings(table: string, values: ReadonlyMap<string, string>, field: string): Setting[] {
  const settable = isTable(table) ? SETTABLE.get(table) : undefined;
  if (!settable)
    throw new ValidationError(
      'table',
      `${JSON.stringify(table.slice(0, 64))} is not one of ${SETTABLE_TABLES.join(', ')}`,
    );
  return [...values].map(([k, v]) => {
    const f = `${field}.${k.slice(0, 64)}`;
    const i = k.indexOf(':');
    const column = i < 0 ? k : k.slice(0, i);
    const type = settable.includes(column) ? columnType(table, column) : undefined;
    if (!type) throw new ValidationError(f, `column ${column.slice(0, 64)} of ${table} cannot be set here`);
    const vlan = VLAN_COLUMNS.has(`${table}.${column}`);
    if (i < 0) {
      const value = columnValue(f, type, v, vlan);
      if (MAC_COLUMNS.has(`${table}.${column}`) && value !== undefined) parseMac(f, value);
      return { column, type, field: f, value };
    }
    if (!type.value) throw new ValidationError(f, `column ${column} is not a map`);
    const key = atom(f, type.key, k.slice(i + 1), false);
    if (key === '') throw new ValidationError(f, 'empty map key');
    if (column === 'external_ids' && key === OWNER_KEY)
      throw new ValidationError(f, `${OWNER_KEY} is reserved for the plugin`);
    const value = atom(f, type.value, v, false);
    // A patch to one of our patch ports would wire a caller's bridge into a VLAN.
    const form =
      table === 'Interface' && column === 'options' && key === 'peer' ? derivedForm(String(value)) : undefined;
    if (form) throw new ValidationError(f, `${v} is ${form}; it is patched only to its partner`);
    return { column, type, field: f, key, value };
  });
}

/** The settings as columns of a row to insert (map keys gathered into one map per column). */
export function columnRow(settings: readonly Setting[]): Row {
  const row: Row = {};
  const maps = new Map<string, { type: ColumnType; m: Map<Scalar, Scalar> }>();
  for (const s of settings) {
    if (s.key === undefined) row[s.column] = encodeValue(s.type, s.value);
    else {
      const e = maps.get(s.column) ?? { type: s.type, m: new Map() };
      maps.set(s.column, e.m.set(s.key, s.value) && e);
    }
  }
  for (const [c, { type, m }] of maps) row[c] = encodeValue(type, m);
  return row;
}

/**
 * Operations that apply the settings to row `raw` of `table` (a cache row), or none when it
 * already has every value (a column the monitor does not cover is always written) (so repeating a command changes
 * nothing). Map keys are replaced one by
 * one so other keys stay (ovs-vsctl `set T R col:key=v`).
 */
export function columnOps(table: Table, raw: CachedRow, settings: readonly Setting[]): Operation[] {
  const where: Condition[] = [['_uuid', '==', raw._uuid]];
  const whole: Row = {};
  const mutations: Operation[] = [];
  for (const s of settings) {
    const have = Object.hasOwn(raw, s.column) ? decodeValue(s.type, raw[s.column]) : undefined;
    if (s.key !== undefined) {
      if (have instanceof Map && have.get(s.key) === s.value) continue;
      mutations.push({
        op: 'mutate',
        table,
        where,
        mutations: [
          [s.column, 'delete', ovsSet([s.key])],
          [s.column, 'insert', ovsMap([[s.key, s.value]])],
        ],
      });
    } else if (!Object.hasOwn(raw, s.column) || !sameDecoded(have, s.value)) {
      whole[s.column] = encodeValue(s.type, s.value);
    }
  }
  const ops: Operation[] = Object.keys(whole).length ? [{ op: 'update', table, where, row: whole }] : [];
  return [...ops, ...mutations];
}

/** Used while ovs-vswitchd has not reported its types yet (the types every build has). */
const BASIC = { datapath_type: ['system', 'netdev'], type: ['', 'system', 'internal', 'patch', 'tap'] } as const;

/**
 * Checks what the schema leaves free strings but ovs-vswitchd does not: Bridge.datapath_type
 * and Interface.type must be ones the switch reports in Open_vSwitch.datapath_types /
 * iface_types (basic ones while those are empty), else the bridge drops out of the datapath or
 * the interface fails.
 */
export function checkAgainstSwitch(
  settings: readonly Setting[],
  root: { datapath_types: readonly string[]; iface_types: readonly string[] },
): void {
  for (const s of settings) {
    if (s.key !== undefined || (s.column !== 'datapath_type' && s.column !== 'type')) continue;
    const reported = s.column === 'type' ? root.iface_types : root.datapath_types;
    const known =
      s.column === 'type'
        ? ['', ...(reported.length ? reported : BASIC.type)]
        : reported.length
          ? reported
          : BASIC.datapath_type;
    if (!known.includes(String(s.value))) {
      throw new ValidationError(
        s.field,
        `${JSON.stringify(s.value)} is not a${s.column === 'type' ? 'n interface' : ' datapath'} type of this switch ` +
          `(${known.filter((k) => k).join(', ')})`,
      );
    }
  }
}
