// Processes as recorded in the state file: pid + start time (/proc/PID/stat field 22, clock
// ticks since boot), so a pid the kernel has reused is never taken for ours.
import { readFileSync } from 'node:fs';
import { isMissingPath, isProcessGone } from '../../lib/errors.ts';
import type { ProcId } from './types.ts';

/** No such process (ENOENT), or it exited while read (ESRCH); other failures are thrown. */
const gone = (err: unknown): boolean => isMissingPath(err) || isProcessGone(err);

/** Start time of `pid`, or undefined when it does not exist. */
export function procStart(pid: number): string | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may hold spaces and parentheses: count from the last ')'.
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[19];
  } catch (err) {
    if (gone(err)) return undefined;
    throw err;
  }
}

/** This process. */
export const self = (): ProcId => ({ pid: process.pid, start: procStart(process.pid) ?? '' });

/** True while the recorded process runs (same pid, same start time, not a zombie). */
export function alive(p: ProcId): boolean {
  try {
    const s = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return f[0] !== 'Z' && f[19] === p.start;
  } catch (err) {
    if (gone(err)) return false;
    throw err;
  }
}
