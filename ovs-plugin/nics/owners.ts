// Who is working on a record right now. A record's owner is the process carrying out its
// phase; another process's live owner is left alone, and so is this process's own work in
// flight (the daemon runs gc beside attaches).
import { alive, self } from './proc.ts';
import type { NicRecord } from './types.ts';

/** Record key -> how many calls of this process work on it (a repair and a detach may overlap). */
const inflight = new Map<string, number>();

/** True while someone is carrying out `rec`'s phase. */
export function isBusy(rec: NicRecord): boolean {
  if (rec.owner.pid === process.pid && rec.owner.start === self().start) return inflight.has(rec.key);
  return alive(rec.owner);
}

/** Runs `fn` with record `key` marked as in flight in this process. */
export async function working<T>(key: string, fn: () => Promise<T>): Promise<T> {
  inflight.set(key, (inflight.get(key) ?? 0) + 1);
  try {
    return await fn();
  } finally {
    const n = inflight.get(key)! - 1;
    if (n) inflight.set(key, n);
    else inflight.delete(key);
  }
}
