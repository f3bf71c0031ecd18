// Read-only view of the monitor cache (a snapshot at plan time): typed rows (ovsdb/rows.ts)
// found by name, references followed. Plans are built from this, then guarded by `wait`
// operations so a change made in between makes the transaction fail instead.
import { tableVersion } from '../ovsdb/cache.ts';
import type { CachedRow } from '../ovsdb/types.ts';
import { decodeRow, type ColumnName, type Table } from '../ovsdb/rows.ts';
import type { Rows } from '../ovsdb/vswitch-schema.ts';

/** external_ids key marking rows this plugin created; value OWNER. Never delete rows without it. */
export const OWNER_KEY = 'zos-owner';
/** Value of OWNER_KEY on rows we create. */
export const OWNER = 'ovs-plugin';

/** Columns the commands read, per table: what the monitor covers and what a typed row holds. */
export const MONITORED = {
  Open_vSwitch: ['bridges', 'next_cfg', 'cur_cfg', 'datapath_types', 'iface_types', 'external_ids'],
  Bridge: ['name', 'ports', 'datapath_type', 'external_ids', 'other_config', 'stp_enable', 'fail_mode'],
  Port: [
    'name',
    'interfaces',
    'tag',
    'trunks',
    'vlan_mode',
    'bond_mode',
    'lacp',
    'fake_bridge',
    'external_ids',
    'other_config',
  ],
  Interface: ['name', 'type', 'options', 'external_ids', 'mtu_request', 'mac', 'other_config'],
} as const satisfies { [T in Table]: readonly ColumnName<T>[] };

/** The monitor request for MONITORED (RFC 7047 4.1.5). */
export const MONITOR_SPEC: Record<string, { columns: string[] }> = Object.fromEntries(
  Object.entries(MONITORED).map(([t, cols]) => [t, { columns: [...cols] }]),
);

/** A typed row of `T` as the view holds it: the monitored columns and `_uuid`. */
export type Seen<T extends Table> = Pick<Rows[T], Extract<(typeof MONITORED)[T][number], keyof Rows[T]>> & {
  readonly _uuid: string;
};
/** A Bridge, Port or Interface row (the named tables). */
export type Named = 'Bridge' | 'Port' | 'Interface';

// The typed form of a cache row of `table`: the monitored columns of MONITORED.
const decoded = <T extends Table>(table: T, r: CachedRow): Seen<T> =>
  decodeRow(table, r, MONITORED[table] as readonly string[] as readonly ColumnName<T>[]) as unknown as Seen<T>;

/** The cache as the client exposes it: table -> uuid -> row. */
export type CacheMap = ReadonlyMap<string, ReadonlyMap<string, CachedRow>>;

// Name -> uuid per named table, and port uuid -> bridge uuid: built once per version of those
// tables (a plan makes several lookups; at 1,000 VLANs a scan per lookup was most of a repeat).
interface Index {
  names: Map<Named, Map<string, string>>;
  bridgeOf: Map<string, string>;
  fakes: Map<number, string[]>;
}
const INDEXED = ['Bridge', 'Port', 'Interface'] as const;
const indexes = new WeakMap<CacheMap, { versions: string; index: Index }>();

function buildIndex(cache: CacheMap): Index {
  const names = new Map<Named, Map<string, string>>();
  for (const t of INDEXED) {
    const m = new Map<string, string>();
    for (const [id, r] of cache.get(t) ?? []) if (typeof r.name === 'string') m.set(r.name, id);
    names.set(t, m);
  }
  const bridgeOf = new Map<string, string>();
  for (const r of cache.get('Bridge')?.values() ?? []) {
    const b = decoded('Bridge', r);
    for (const p of b.ports) bridgeOf.set(p, b._uuid);
  }
  const fakes = new Map<number, string[]>();
  for (const r of cache.get('Port')?.values() ?? []) {
    if (r.fake_bridge !== true) continue;
    const p = decoded('Port', r);
    if (p.tag !== undefined) fakes.set(p.tag, [...(fakes.get(p.tag) ?? []), p._uuid]);
  }
  return { names, bridgeOf, fakes };
}

/** Lookups over one cache snapshot. */
export class View {
  private idx: Index | undefined;
  constructor(private readonly cache: CacheMap) {}

  // The index of this snapshot: memoised while the client's cache tables keep their versions
  // (a cache not kept by the client, as in planner tests, gets one per view).
  private index(): Index {
    if (this.idx) return this.idx;
    const vs = INDEXED.map((t) => tableVersion(this.cache, t));
    const key = vs.includes(undefined) ? undefined : vs.join(',');
    const memo = indexes.get(this.cache);
    if (key !== undefined && memo?.versions === key) return (this.idx = memo.index);
    this.idx = buildIndex(this.cache);
    if (key !== undefined) indexes.set(this.cache, { versions: key, index: this.idx });
    return this.idx;
  }

  /** Every row of `table`. */
  rows<T extends Table>(table: T): Seen<T>[] {
    return [...(this.cache.get(table)?.values() ?? [])].map((r) => decoded(table, r));
  }

  /** The row of `table` with uuid `id`. */
  get<T extends Table>(table: T, id: string): Seen<T> | undefined {
    const r = this.cache.get(table)?.get(id);
    return r ? decoded(table, r) : undefined;
  }

  /** The row of `table` whose `name` is `name` (names are a unique index in vswitch). */
  byName<T extends Named>(table: T, name: string): Seen<T> | undefined {
    const id = this.index().names.get(table)?.get(name);
    return id === undefined ? undefined : this.get(table, id);
  }

  /** The single Open_vSwitch row. */
  root(): Seen<'Open_vSwitch'> | undefined {
    return this.rows('Open_vSwitch')[0];
  }

  /** The bridge holding port row `portId`. */
  bridgeOfPort(portId: string): Seen<'Bridge'> | undefined {
    const id = this.index().bridgeOf.get(portId);
    return id === undefined ? undefined : this.get('Bridge', id);
  }

  /** Port rows with fake_bridge set and tag `tag` (fake-bridge.ts). */
  fakePorts(tag: number): Seen<'Port'>[] {
    return (this.index().fakes.get(tag) ?? []).map((id) => this.get('Port', id)).filter((r): r is Seen<'Port'> => !!r);
  }

  /** Port rows of a bridge. */
  portsOf(bridge: Seen<'Bridge'>): Seen<'Port'>[] {
    return bridge.ports.map((id) => this.get('Port', id)).filter((r): r is Seen<'Port'> => !!r);
  }

  /** Interface rows of a port. */
  interfacesOf(port: Seen<'Port'>): Seen<'Interface'>[] {
    return port.interfaces.map((id) => this.get('Interface', id)).filter((r): r is Seen<'Interface'> => !!r);
  }

  /** The cache row (wire notation) behind a typed row, for columns the monitor may not cover. */
  raw(table: Table, id: string): CachedRow | undefined {
    return this.cache.get(table)?.get(id);
  }

  /** The named tables that already hold a row called `name`. */
  holders(name: string): Named[] {
    return (['Bridge', 'Port', 'Interface'] as const).filter((t) => this.byName(t, name));
  }
}

/** True when the row carries our owner tag. */
export const isOwned = (row: { external_ids: ReadonlyMap<string, string> }): boolean =>
  row.external_ids.get(OWNER_KEY) === OWNER;
