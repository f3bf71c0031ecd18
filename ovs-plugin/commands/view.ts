// Read-only view of the monitor cache (a snapshot at plan time): find rows by name, follow
// references, read columns in RFC 7047 notation. Plans are built from this, then guarded by
// `wait` operations so a change made in between makes the transaction fail instead.
import type { CachedRow, Value } from '../ovsdb/types.ts';
import { mapToObject, optional, setToArray, uuidsOf } from '../ovsdb/notation.ts';

/** external_ids key marking rows this plugin created; value OWNER. Never delete rows without it. */
export const OWNER_KEY = 'zos-owner';
/** Value of OWNER_KEY on rows we create. */
export const OWNER = 'ovs-plugin';

/** Tables and columns the commands read; what the monitor must cover. */
export const MONITORED: Record<string, { columns?: string[] }> = {
  Open_vSwitch: { columns: ['bridges', 'next_cfg', 'cur_cfg'] },
  Bridge: { columns: ['name', 'ports', 'datapath_type', 'external_ids', 'other_config', 'stp_enable', 'fail_mode'] },
  Port: { columns: ['name', 'interfaces', 'tag', 'trunks', 'vlan_mode', 'bond_mode', 'lacp', 'external_ids', 'other_config'] },
  Interface: { columns: ['name', 'type', 'options', 'external_ids', 'mtu_request', 'mac', 'other_config'] },
};

/** The cache as the client exposes it: table -> uuid -> row. */
export type CacheMap = ReadonlyMap<string, ReadonlyMap<string, CachedRow>>;

/** Lookups over one cache snapshot. */
export class View {
  constructor(private readonly cache: CacheMap) {}

  /** Every row of `table`. */
  rows(table: string): CachedRow[] {
    return [...(this.cache.get(table)?.values() ?? [])];
  }

  /** The row of `table` with uuid `id`. */
  get(table: string, id: string): CachedRow | undefined {
    return this.cache.get(table)?.get(id);
  }

  /** The row of `table` whose `name` is `name` (names are a unique index in vswitch). */
  byName(table: string, name: string): CachedRow | undefined {
    for (const r of this.cache.get(table)?.values() ?? []) if (r.name === name) return r;
    return undefined;
  }

  /** The single Open_vSwitch row. */
  root(): CachedRow | undefined {
    return this.rows('Open_vSwitch')[0];
  }

  /** The bridge holding port row `portId`. */
  bridgeOfPort(portId: string): CachedRow | undefined {
    return this.rows('Bridge').find((b) => uuidsOf(b.ports).includes(portId));
  }

  /** Port rows of a bridge. */
  portsOf(bridge: CachedRow): CachedRow[] {
    return uuidsOf(bridge.ports).map((id) => this.get('Port', id)).filter((r): r is CachedRow => !!r);
  }

  /** Interface rows of a port. */
  interfacesOf(port: CachedRow): CachedRow[] {
    return uuidsOf(port.interfaces).map((id) => this.get('Interface', id)).filter((r): r is CachedRow => !!r);
  }
}

/** A row's uuid string. */
export const idOf = (row: CachedRow): string => row._uuid[1];

/** True when the row carries our owner tag. */
export const isOwned = (row: CachedRow): boolean => mapToObject(row.external_ids)[OWNER_KEY] === OWNER;

/** A string column, '' when unset. */
export const str = (v: Value | undefined): string => (typeof v === 'string' ? v : '');

/** An optional integer column (e.g. Port.tag), undefined when empty. */
export const optInt = (v: Value | undefined): number | undefined => {
  const a = optional(v);
  return typeof a === 'number' ? a : undefined;
};

/** Notation readers the planners use beside the view. */
export { setToArray, uuidsOf };
