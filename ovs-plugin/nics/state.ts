// The state file (default /run/ovs-plugin/nics.json, OVS_PLUGIN_STATE overrides): every
// attachment from before its first change to after its last, the shared truth of exec calls
// and the daemon. Read and written only under its lock (`<file>.lock`, lock.ts); written
// atomically (lib/atomic-file.ts), so a crash leaves the old file or the new one. The file names
// the host namespace that wrote it (`host`): the lock is scoped to a network namespace, so a
// process in another one is refused (ESTATE) instead of racing unlocked.
import { readFile, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../../lib/atomic-file.ts';
import { isMissingPath } from '../../lib/errors.ts';
import { stateError } from './errors.ts';
import { withLock } from './lock.ts';
import type { NicRecord, NicState, NsIdentity } from './types.ts';

/** Where the state lives when OVS_PLUGIN_STATE is not set. */
export const DEFAULT_STATE = '/run/ovs-plugin/nics.json';

/** The state file's path for this process. */
export const statePath = (env: NodeJS.ProcessEnv = process.env): string => env.OVS_PLUGIN_STATE || DEFAULT_STATE;

const empty = (): NicState => ({ version: 1, nics: [] });

/** Reads the state (empty when the file does not exist); ESTATE when it is not ours. */
export async function readState(path: string): Promise<NicState> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isMissingPath(err)) return empty();
    throw err;
  }
  if (text === '') return empty(); // a power loss before the unsynced data reached the disk
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw stateError(`${path} is not JSON; move it away to start afresh`, { path });
  }
  const s = v as NicState;
  if (!s || typeof s !== 'object' || s.version !== 1 || !Array.isArray(s.nics)) throw stateError(`${path} is not a version 1 nic state`, { path });
  return s;
}

let own: NsIdentity | undefined;
/** The identity of this process's network namespace ("the host"). */
async function hostNs(): Promise<NsIdentity> {
  if (!own) { const s = await stat('/proc/self/ns/net'); own = { dev: s.dev, ino: s.ino }; }
  return own;
}

/**
 * Runs `fn` on the state under the lock; writes the state back (atomically) if `fn` changed it.
 * Resolves with `fn`'s result.
 */
export async function updateState<T>(path: string, fn: (s: NicState) => T | Promise<T>): Promise<T> {
  return withLock(`${path}.lock`, async () => {
    const s = await readState(path);
    const host = await hostNs();
    if (s.host && (s.host.dev !== host.dev || s.host.ino !== host.ino)) {
      throw stateError(`${path} belongs to the plugin of another network namespace (its lock does not reach here); use another OVS_PLUGIN_STATE`, { path });
    }
    const before = JSON.stringify(s);
    const r = await fn(s);
    if (JSON.stringify(s) !== before) s.host = host;
    const after = JSON.stringify(s, null, 1);
    // No fsync (a fork's worth of time per write on ext4): what the file describes (links,
    // namespaces, clients) does not outlive a power loss either, and an empty file reads as empty.
    if (JSON.stringify(s) !== before) await writeFileAtomic(path, after + '\n', 0o600, { sync: false });
    return r;
  });
}

/** Replaces the record with `rec.key` (or adds it). */
export function putRecord(s: NicState, rec: NicRecord): void {
  const i = s.nics.findIndex((r) => r.key === rec.key);
  if (i >= 0) s.nics[i] = rec;
  else s.nics.push(rec);
}

/** Drops the record `key`. */
export function dropRecord(s: NicState, key: string): void {
  s.nics = s.nics.filter((r) => r.key !== key);
}
