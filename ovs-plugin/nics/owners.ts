// Who is working on a record right now. A record's owner is the process carrying out its
// phase; another process's live owner is left alone, and so is this process's own work in
// flight (the daemon runs gc beside attaches).
import { alive, self } from './proc.ts';
import type { NicRecord } from './types.ts';

const inflight = new Set<string>();

/** True while someone is carrying out `rec`'s phase. */
export function busy(rec: NicRecord): boolean {
  if (rec.owner.pid === process.pid && rec.owner.start === self().start) return inflight.has(rec.key);
  return alive(rec.owner);
}

/** Runs `fn` with record `key` marked as in flight in this process. */
export async function working<T>(key: string, fn: () => Promise<T>): Promise<T> {
  inflight.add(key);
  try {
    return await fn();
  } finally {
    inflight.delete(key);
  }
}
