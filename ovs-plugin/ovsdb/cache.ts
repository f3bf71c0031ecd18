// The monitor cache: applies RFC 7047 4.1.6 <table-updates> (initial reply and `update`
// notifications) to table -> uuid -> row. A row update has "old" and/or "new": insert has only
// "new", delete only "old", modify both ("new" holds every monitored column after the change).
import type { CachedRow, Row } from './types.ts';
import { uuid as mkUuid } from './notation.ts';

/** <table-updates>: table -> row uuid -> <row-update> (RFC 7047 4.1.6). */
export type TableUpdates = Record<string, Record<string, { old?: Row; new?: Row }>>;

/** Table name -> row uuid -> row (OvsdbClient.cache). */
export type Cache = Map<string, Map<string, CachedRow>>;

// Per cache, per table: how many updates touched it (readers memoise indexes on it, planners/view.ts).
const versions = new WeakMap<Cache, Map<string, number>>();

/** How many updates have touched `table` of `cache`; undefined for a cache never updated through here. */
export const tableVersion = (cache: object, table: string): number | undefined =>
  versions.get(cache as Cache)?.get(table) ?? (versions.has(cache as Cache) ? 0 : undefined);

/** Marks every table of `cache` changed (after it is cleared for a resync). */
export function touchAll(cache: Cache): void {
  const v = versions.get(cache) ?? new Map<string, number>();
  versions.set(cache, v);
  for (const t of new Set([...v.keys(), ...cache.keys()])) v.set(t, (v.get(t) ?? 0) + 1);
}

/** Applies one <table-updates>. Rows are merged so that several monitors on one table coexist. */
export function applyTableUpdates(cache: Cache, updates: TableUpdates): void {
  let v = versions.get(cache);
  if (!v) versions.set(cache, (v = new Map()));
  for (const [table, rows] of Object.entries(updates ?? {})) {
    v.set(table, (v.get(table) ?? 0) + 1);
    let t = cache.get(table);
    if (!t) cache.set(table, (t = new Map()));
    for (const [id, change] of Object.entries(rows ?? {})) {
      if (change.new === undefined) {
        t.delete(id);
        continue;
      }
      const prev = t.get(id);
      t.set(id, { ...(prev ?? {}), ...change.new, _uuid: mkUuid(id) } as CachedRow);
    }
  }
}
