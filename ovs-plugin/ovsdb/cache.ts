// The monitor cache: applies RFC 7047 4.1.6 <table-updates> (initial reply and `update`
// notifications) to table -> uuid -> row. A row update has "old" and/or "new": insert has only
// "new", delete only "old", modify both ("new" holds every monitored column after the change).
import type { CachedRow, Row } from './types.ts';
import { uuid as mkUuid } from './notation.ts';

/** <table-updates>: table -> row uuid -> <row-update> (RFC 7047 4.1.6). */
export type TableUpdates = Record<string, Record<string, { old?: Row; new?: Row }>>;

/** Table name -> row uuid -> row (OvsdbClient.cache). */
export type Cache = Map<string, Map<string, CachedRow>>;

/** Applies one <table-updates>. Rows are merged so that several monitors on one table coexist. */
export function applyTableUpdates(cache: Cache, updates: TableUpdates): void {
  for (const [table, rows] of Object.entries(updates ?? {})) {
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
