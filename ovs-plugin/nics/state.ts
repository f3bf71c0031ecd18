// The state file (default /run/ovs-plugin/nics.json, OVS_PLUGIN_STATE overrides): every
// attachment from before its first change to after its last, the shared truth of exec calls
// and the daemon. Read and written only under its lock (`<file>.lock`, lock.ts); written
// atomically (lib/atomic-file.ts), so a crash leaves the old file or the new one, and a failed
// write leaves no temporary file. Before each write the file being replaced is kept as
// `<file>.prev` (a hard link: no copy), the previous good generation that nic.state-restore
// (state-restore.ts) puts back. A file that is empty, not JSON, or holds a record of the wrong
// shape (state-shape.ts), or a path that is not a file, is ESTATE for every command: it is never
// read as "nothing attached". The file names the host namespace that wrote it (`host`): the
// lock is scoped to a network namespace, so a process in another one is refused (ESTATE)
// instead of racing unlocked.
import { linkSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { writeFileAtomic } from '../../lib/atomic-file.ts';
import { errnoOf, isMissingPath } from '../../lib/errors.ts';
import { stateError } from './errors.ts';
import { writeFault } from './failpoint.ts';
import { withLock } from './lock.ts';
import { checkState } from './state-shape.ts';
import type { NicRecord, NicState, NsIdentity } from './types.ts';

/** The previous good generation of state file `path`. */
export const prevPath = (path: string): string => `${path}.prev`;

const empty = (): NicState => ({ version: 1, nics: [] });

/** What to do about a damaged state file at `path`. */
const RECOVER = (path: string): string =>
  `run nic.state-restore {} to put back the previous generation (${prevPath(path)}), ` +
  'or move the file away to start afresh';

/** The text of `path`, or undefined when it does not exist; ESTATE when it cannot be read (a directory, ...). */
export async function readStateText(path: string): Promise<string | undefined> {
  try {
    // Synchronous: a page-cache read of a small file, under the lock where every await counts.
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (isMissingPath(err)) return undefined;
    throw stateError(`${path} cannot be read as the nic state (${errnoOf(err) ?? String(err)}); ${RECOVER(path)}`, {
      path,
    });
  }
}

/** `text` read from `path` as a state: ESTATE naming the problem when it is empty, not JSON or of the wrong shape. */
export function parseState(path: string, text: string, hint = RECOVER(path)): NicState {
  if (text === '') throw stateError(`${path} is empty (truncated, or cut short by a power loss); ${hint}`, { path });
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw stateError(`${path} is not JSON; ${hint}`, { path });
  }
  return checkState(path, v, hint);
}

/**
 * Per path, the last text this process found good (read and checked) or wrote itself. Read back
 * unchanged it is parsed without the shape check: at hundreds of records the check of every
 * record was a third of a state update. Any other text (another process's write, a damaged
 * file) is checked as always.
 */
const known = new Map<string, { text: string; ours: boolean }>();

/** `text` of `path` as a state: checked (parseState) unless it is the text known good there. */
function stateOf(path: string, text: string | undefined): NicState {
  if (text === undefined) return empty();
  if (known.get(path)?.text === text) return JSON.parse(text) as NicState;
  const s = parseState(path, text);
  known.set(path, { text, ours: false });
  return s;
}

/** Reads the state (empty when the file does not exist); ESTATE when it is damaged or not ours. */
export async function readState(path: string): Promise<NicState> {
  return stateOf(path, await readStateText(path));
}

/** The file's text for state `s`. */
const render = (s: NicState): string => `${JSON.stringify(s, null, 1)}\n`;

/** Keeps the file at `path` (read and found good) as `<path>.prev`: a hard link renamed over the old one. */
function keepPrevious(path: string): void {
  const tmp = `${prevPath(path)}.${process.pid}.tmp`;
  try {
    linkSync(path, tmp);
  } catch (err) {
    if (isMissingPath(err)) return; // nothing written yet
    throw err;
  }
  try {
    renameSync(tmp, prevPath(path));
  } finally {
    // rename(2) of two links to one file (the last write failed, so `.prev` is the file already)
    // succeeds and does nothing: the temporary name has to go by itself.
    rmSync(tmp, { force: true }); // gone already (ENOENT): the rename moved it
  }
}

/** Writes state text `text` to `path`: the old file kept as `.prev`, then replaced atomically. */
export async function writeState(path: string, text: string): Promise<void> {
  writeFault();
  keepPrevious(path); // synchronous, as the write below (lib/atomic-file.ts): no disk wait
  // No fsync (a fork's worth of time per write on ext4): what the file describes (links,
  // namespaces, clients) does not outlive a power loss either; an empty file is ESTATE, and
  // nic.state-restore puts back `.prev`.
  await writeFileAtomic(path, text, 0o600, { sync: false });
}

let own: NsIdentity | undefined;
/** The identity of this process's network namespace ("the host"). */
async function hostNs(): Promise<NsIdentity> {
  if (!own) {
    const s = await stat('/proc/self/ns/net');
    own = { dev: s.dev, ino: s.ino };
  }
  return own;
}

/**
 * Runs `fn` on the state under the lock; writes the state back (atomically) if `fn` changed it.
 * Resolves with `fn`'s result.
 */
export async function updateState<T>(path: string, fn: (s: NicState) => T | Promise<T>): Promise<T> {
  return withLock(`${path}.lock`, async () => {
    const was = await readStateText(path);
    const s = stateOf(path, was);
    const host = await hostNs();
    if (s.host && (s.host.dev !== host.dev || s.host.ino !== host.ino)) {
      throw stateError(
        `${path} belongs to the plugin of another network namespace (its lock does not reach here); ` +
          'use another OVS_PLUGIN_STATE',
        { path },
      );
    }
    // What the file would hold before and after `fn`, one serialization each (a missing file is
    // the empty state; a file this process did not write is serialized as it would write it).
    const before = was === undefined ? render(s) : known.get(path)?.ours ? was : render(JSON.parse(was));
    const r = await fn(s);
    let text = render(s);
    if (text === before) return r;
    if (!s.host) {
      s.host = host;
      text = render(s);
    }
    await writeState(path, text);
    known.set(path, { text, ours: true });
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
