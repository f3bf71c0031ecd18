// v1 option maps are ovs-vsctl `set` arguments: `column=value` or `column:key=value`, all values
// strings. This turns them into typed RFC 7047 values using the column types of vswitch.ovsschema
// (only the columns a client may sensibly set; anything else is refused by name).
import { ValidationError } from '../../lib/errors.ts';
import type { Atom, Operation, Row, Value } from '../ovsdb/types.ts';
import { ovsMap, ovsSet, uuid } from '../ovsdb/notation.ts';
import type { CachedRow } from '../ovsdb/types.ts';
import { OWNER_KEY } from './view.ts';

/** Column kinds: scalar, optional (set of 0..1), set, or string->string map. */
type Kind = 'str' | 'int' | 'bool' | 'optStr' | 'optInt' | 'intSet' | 'strSet' | 'map';

const MAPS = { other_config: 'map', external_ids: 'map' } as const;

/** Settable columns per table (types from vswitch.ovsschema, OVS 3.1). */
export const COLUMNS: Record<string, Record<string, Kind>> = {
  Open_vSwitch: { ...MAPS },
  Bridge: {
    ...MAPS, datapath_type: 'str', stp_enable: 'bool', rstp_enable: 'bool', mcast_snooping_enable: 'bool',
    protocols: 'strSet', fail_mode: 'optStr', flood_vlans: 'intSet',
  },
  Port: {
    ...MAPS, tag: 'optInt', trunks: 'intSet', cvlans: 'intSet', vlan_mode: 'optStr', mac: 'optStr', bond_mode: 'optStr',
    lacp: 'optStr', bond_updelay: 'int', bond_downdelay: 'int', bond_fake_iface: 'bool', fake_bridge: 'bool', protected: 'bool',
  },
  Interface: {
    ...MAPS, type: 'str', options: 'map', mac: 'optStr', mtu_request: 'optInt', ofport_request: 'optInt', bfd: 'map', lldp: 'map',
    ingress_policing_rate: 'int', ingress_policing_burst: 'int',
  },
};

/** Columns a command must never let a caller overwrite (they hold the topology). */
const RESERVED = new Set(['name', 'ports', 'interfaces', 'bridges']);

function parseInt64(field: string, s: string): number {
  if (!/^-?\d{1,15}$/.test(s)) throw new ValidationError(field, `${JSON.stringify(s)} is not an integer`);
  return Number(s);
}

/** Elements of a set written as `a,b` or ovs-vsctl style `[a,b]`; `[]` or '' is empty. */
const setItems = (s: string): string[] => s.replace(/^\[|\]$/g, '').split(',').map((x) => x.trim()).filter((x) => x !== '');

function typed(field: string, kind: Kind, s: string): Value {
  switch (kind) {
    case 'str': return s;
    case 'int': return parseInt64(field, s);
    case 'bool':
      if (s !== 'true' && s !== 'false') throw new ValidationError(field, `${JSON.stringify(s)} is not true or false`);
      return s === 'true';
    case 'optStr': return s === '' || s === '[]' ? ovsSet([]) : s;
    case 'optInt': return s === '' || s === '[]' ? ovsSet([]) : parseInt64(field, s);
    case 'intSet': return ovsSet(setItems(s).map((x) => parseInt64(field, x)));
    case 'strSet': return ovsSet(setItems(s));
    case 'map': throw new ValidationError(field, 'is a map: set its keys as column:key');
  }
}

/** One parsed `column[:key]=value` setting. */
interface Setting { column: string; key?: string; value: Value | string }

/** Parses and type-checks a settings map against `table`'s columns; throws naming `field.key`. */
export function parseSettings(table: string, values: Record<string, string>, field: string): Setting[] {
  const cols = COLUMNS[table];
  if (!cols) throw new ValidationError('table', `${JSON.stringify(table)} is not one of ${Object.keys(COLUMNS).join(', ')}`);
  return Object.entries(values).map(([k, v]) => {
    const f = `${field}.${k}`;
    const i = k.indexOf(':');
    const column = i < 0 ? k : k.slice(0, i);
    const kind = cols[column];
    if (RESERVED.has(column) || !kind) throw new ValidationError(f, `column ${column} of ${table} cannot be set here`);
    if (i >= 0) {
      if (kind !== 'map') throw new ValidationError(f, `column ${column} is not a map`);
      const key = k.slice(i + 1);
      if (!key) throw new ValidationError(f, 'empty map key');
      if (column === 'external_ids' && key === OWNER_KEY) throw new ValidationError(f, `${OWNER_KEY} is reserved for the plugin`);
      return { column, key, value: v };
    }
    return { column, value: typed(f, kind, v) };
  });
}

/** The settings as columns of a row to insert (map keys gathered into one map per column). */
export function columnRow(table: string, values: Record<string, string>, field: string): Row {
  const row: Row = {};
  const maps: Record<string, [Atom, Atom][]> = {};
  for (const s of parseSettings(table, values, field)) {
    if (s.key !== undefined) (maps[s.column] ??= []).push([s.key, s.value as string]);
    else row[s.column] = s.value;
  }
  for (const [c, pairs] of Object.entries(maps)) row[c] = ['map', pairs];
  return row;
}

/**
 * Operations that apply the settings to existing row `id`, or none when `current` already has
 * every value (so repeating a command changes nothing). Map keys are replaced one by one so
 * other keys stay (ovs-vsctl `set T R col:key=v`).
 */
export function columnOps(table: string, id: string, current: CachedRow | undefined, values: Record<string, string>): Operation[] {
  const whole: Row = {};
  const mutations: Operation[] = [];
  for (const s of parseSettings(table, values, 'values')) {
    if (s.key !== undefined) {
      const cur = current ? mapGet(current[s.column], s.key) : undefined;
      if (cur === s.value) continue;
      mutations.push({ op: 'mutate', table, where: [['_uuid', '==', uuid(id)]], mutations: [
        [s.column, 'delete', ovsSet([s.key])], [s.column, 'insert', ovsMap([[s.key, s.value as string]])]] });
    } else if (!current || !sameValue(current[s.column], s.value as Value)) {
      whole[s.column] = s.value as Value;
    }
  }
  const ops: Operation[] = Object.keys(whole).length ? [{ op: 'update', table, where: [['_uuid', '==', uuid(id)]], row: whole }] : [];
  return [...ops, ...mutations];
}

function mapGet(v: Value | undefined, key: string): string | undefined {
  if (!Array.isArray(v) || v[0] !== 'map') return undefined;
  const hit = (v[1] as [Atom, Atom][]).find(([k]) => k === key);
  return hit ? String(hit[1]) : undefined;
}

/** Equality of two column values, treating a bare atom as a 1-element set (RFC 7047 5.1). */
export function sameValue(a: Value | undefined, b: Value): boolean {
  const norm = (v: Value | undefined): string => {
    if (Array.isArray(v) && v[0] === 'set') return JSON.stringify([...(v[1] as Atom[])].map((x) => JSON.stringify(x)).sort());
    if (v === undefined) return JSON.stringify([]);
    return JSON.stringify([JSON.stringify(v)]);
  };
  return norm(a) === norm(b);
}
