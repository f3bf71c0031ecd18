// The NR records: `nets.json` beside the nic state file (OVS_PLUGIN_STATE's directory), read and
// written under its own lock (`nets.json.lock`, the same dies-with-its-holder lock as the nics':
// ovs-plugin/nics/lock.ts) and replaced atomically (lib/atomic-file.ts), so a crash leaves the old
// file or the new one. Every read checks the shape whole: a damaged file is ESTATE for every
// net.* command, never read as "no NR". A record holds the desired document from before the
// first change (phase `applying`) to after the last (`applied`), or marks a delete in progress
// (`deleting`): apply and delete converge the kernel to it, so a crash at any step is finished
// by running them again (nr-apply.ts, nr-delete.ts).
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../lib/atomic-file.ts';
import { badState, errnoOf, isMissingPath } from '../../lib/errors.ts';
import { writeFault } from '../nics/failpoint.ts';
import { withLock } from '../nics/lock.ts';
import type { ProcId } from '../nics/types.ts';
import { parseNetworkDocument, parseNetid, type NetworkDocument } from './document.ts';

/** Fingerprints of the namespace's nft table as last written: the script and the kernel's listing. */
export interface NftSums {
  readonly script: string;
  readonly listing: string;
}

/** One NR as recorded. */
export interface NrRecord {
  netid: string;
  /** The validated document this NR is (being) made of. */
  doc: NetworkDocument;
  phase: 'applying' | 'applied' | 'deleting';
  /** The process carrying out the phase. */
  owner: ProcId;
  /** Its index: transit /30 number k of 100.127.0.0/16. */
  index: number;
  /** Its WireGuard listen port, fixed for its life. */
  port: number;
  /** The MTU of its WireGuard link, leg, bridge and workloads. */
  mtu: number;
  /** ISO time of the last change. */
  at: string;
  /** The MAC given to its bridge at creation. */
  bridgeMac: string;
  /** The namespace's firewall as last written. */
  nft?: NftSums;
}

/** The file. */
export interface NrState {
  version: 1;
  nets: NrRecord[];
}

/** `nets.json` beside the nic state file `statePath`. */
export const netsPath = (statePath: string): string => join(dirname(statePath), 'nets.json');

const RECOVER =
  'move the file away to start afresh ' +
  '(the NRs it described stay in the kernel: delete their namespaces n-<netid> by hand)';

const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const int = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** The first problem of record `r`, or undefined. */
function recordProblem(r: unknown): string | undefined {
  if (!obj(r)) return 'is not an object';
  try {
    parseNetid('netid', r.netid);
  } catch {
    return 'field "netid" is not valid';
  }
  try {
    parseNetworkDocument(r.doc, 'doc');
  } catch (e) {
    return `field ${(e as Error).message}`;
  }
  if (!['applying', 'applied', 'deleting'].includes(r.phase as string)) return 'field "phase" is not valid';
  if (!obj(r.owner) || !int(r.owner.pid) || typeof r.owner.start !== 'string') return 'field "owner" is not valid';
  for (const f of ['index', 'port', 'mtu']) if (!int(r[f])) return `field "${f}" is not valid`;
  if (typeof r.at !== 'string' || typeof r.bridgeMac !== 'string') return 'field "at" or "bridgeMac" is not valid';
  if (r.nft !== undefined && !(obj(r.nft) && typeof r.nft.script === 'string' && typeof r.nft.listing === 'string'))
    return 'field "nft" is not valid';
  return undefined;
}

/**
 * What this process last read or wrote of each file, found whole: the file's identity (inode,
 * size, change time) when it was read, its text, its records checked and frozen. A file whose
 * identity is unchanged (every write is a rename: a new inode) is neither read, checked nor
 * parsed again. 100 NRs of 250 peers are ~4 MB of JSON and each record's document is checked
 * whole: four reads per apply cost more than its work. The file changes only under our own
 * lock; a read gets its own `nets` list (putNr and dropNr change that) over shared records,
 * which are never changed in place (a new record replaces the old).
 */
interface Known {
  id: string;
  text: string;
  state: NrState;
}
const known = new Map<string, Known>();

/** Freezes `v` and everything in it. */
function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** `text` of `path` as NR records (checked whole, frozen); ESTATE naming the file, the record and the field. */
export function parseNets(path: string, text: string): NrState {
  return deepFreeze(checkNets(path, text));
}

/** Checks `text` whole. */
function checkNets(path: string, text: string): NrState {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw badState(`${path} is not JSON; ${RECOVER}`, { path });
  }
  if (!obj(v) || v.version !== 1 || !Array.isArray(v.nets))
    throw badState(`${path} is not a version 1 NR state; ${RECOVER}`, { path });
  const seen = new Set<string>();
  for (const [i, r] of v.nets.entries()) {
    const p = recordProblem(r);
    if (p) throw badState(`${path} is damaged: record ${i}: ${p}; ${RECOVER}`, { path });
    const id = (r as NrRecord).netid;
    if (seen.has(id))
      throw badState(`${path} is damaged: record ${i}: netid ${id} appears twice; ${RECOVER}`, { path });
    seen.add(id);
  }
  return v as unknown as NrState;
}

/** The file's identity: a rewrite (a rename over it) changes it. Undefined when it does not exist. */
async function fileId(path: string): Promise<string | undefined> {
  try {
    const st = await stat(path, { bigint: true });
    return `${st.dev}:${st.ino}:${st.size}:${st.ctimeNs}:${st.mtimeNs}`;
  } catch (err) {
    if (isMissingPath(err)) return undefined;
    throw badState(`${path} cannot be read as the NR state (${errnoOf(err) ?? String(err)}); ${RECOVER}`, { path });
  }
}

/** The file as Known (read only when its identity changed), undefined when it does not exist. */
async function load(path: string): Promise<Known | undefined> {
  // The identity is taken before the read: a file replaced in between is read again next time.
  const id = await fileId(path);
  if (id === undefined) return undefined;
  const k = known.get(path);
  if (k?.id === id) return k;
  const text = await readNetsText(path);
  if (text === undefined) return undefined;
  const fresh = { id, text, state: k?.text === text ? k.state : parseNets(path, text) };
  known.set(path, fresh);
  return fresh;
}

/** The records (none when the file does not exist); ESTATE when it is damaged. */
export async function readNets(path: string): Promise<NrState> {
  const k = await load(path);
  return { version: 1, nets: k ? [...k.state.nets] : [] };
}

/** The file's text, undefined when it does not exist; ESTATE when it cannot be read. */
async function readNetsText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isMissingPath(err)) return undefined;
    throw badState(`${path} cannot be read as the NR state (${errnoOf(err) ?? String(err)}); ${RECOVER}`, { path });
  }
}

const EMPTY = JSON.stringify({ version: 1, nets: [] }, null, 1) + '\n';

/**
 * Runs `fn` on the records under their lock; writes them back atomically if `fn` changed them
 * (a record replaced or added, one dropped: records are never changed in place).
 */
export async function updateNets<T>(path: string, fn: (s: NrState) => T | Promise<T>): Promise<T> {
  return withLock(`${path}.lock`, async () => {
    const k = await load(path);
    const before = k?.state.nets ?? [];
    const s: NrState = { version: 1, nets: [...before] };
    const r = await fn(s);
    if (s.nets.length === before.length && s.nets.every((x, i) => x === before[i])) return r;
    const after = JSON.stringify(s, null, 1) + '\n';
    // Unchanged records are not written (the file is always written in this form).
    if (after === (k?.text ?? EMPTY)) return r;
    writeFault();
    await writeFileAtomic(path, after, 0o600, { sync: false });
    const id = await fileId(path);
    if (id !== undefined) known.set(path, { id, text: after, state: deepFreeze({ version: 1, nets: [...s.nets] }) });
    return r;
  });
}

/** The record of `netid`, or undefined. */
export const findNr = (s: NrState, netid: string): NrRecord | undefined => s.nets.find((r) => r.netid === netid);

/** Replaces (or adds) the record of `rec.netid`. */
export function putNr(s: NrState, rec: NrRecord): void {
  const i = s.nets.findIndex((r) => r.netid === rec.netid);
  if (i >= 0) s.nets[i] = rec;
  else s.nets.push(rec);
}

/** Drops the record of `netid`. */
export function dropNr(s: NrState, netid: string): void {
  s.nets = s.nets.filter((r) => r.netid !== netid);
}

/** The lowest index no other record holds. */
export function freeIndex(s: NrState, max: number): number | undefined {
  const used = new Set(s.nets.map((r) => r.index));
  for (let k = 0; k <= max; k++) if (!used.has(k)) return k;
  return undefined;
}
