// net.apply: one NR created or updated to a document. Validation first (nothing changes when it
// fails: the old NR stays whole); then the desired document is recorded (phase `applying`)
// before the first change; then idempotent ensure steps converge the kernel to the record, so a
// run cut short at any step (SIGKILL) is finished by the next apply, `net.check {repair}` or gc;
// then the record says `applied`. A document equal to the applied record answers at once,
// `changed: false`, without a child process or a write. Failpoints `net-apply:<step>`.
import { conflict, ValidationError } from '../../lib/errors.ts';
import { withLock } from '../nics/lock.ts';
import { failpoint } from '../nics/failpoint.ts';
import { randomMac } from '../nics/mac.ts';
import { self } from '../nics/proc.ts';
import { publicKeyOf } from './plan-keys.ts';
import type { NetworkDocument } from './document.ts';
import { convergeLayout, ensureHostForwarding, ensureNrNamespace, nsOf, type NrTarget } from './nr-layout.ts';
import { allSettledOrThrow } from '../../lib/settled.ts';
import { ensureNrTable, syncHostTable, uplinks } from './nr-firewall.ts';
import { nrMtu } from './nr-mtu.ts';
import { MAX_NR_INDEX, nrAddresses, nrNames } from './nr-names.ts';
import { udpPortFree } from './nr-probe.ts';
import { findNr, freeIndex, putNr, readNets, updateNets, type NrRecord } from './nr-state.ts';
import { nrBackend } from './nr-wireguard.ts';
import { finishDelete } from './nr-delete.ts';

/** What net.apply answers. */
export interface NrResult {
  netid: string;
  namespace: string;
  bridge: string;
  wireguard: string;
  listen_port: number;
  public_key: string;
  mtu: number;
  addresses: { gateway: string; wire: string; ula: string };
  changed: boolean;
}

/** The answer for record `r`. */
export function resultOf(r: NrRecord, changed: boolean): NrResult {
  const n = nrNames(r.netid);
  const a = nrAddresses(r.netid, r.doc, r.index);
  return {
    netid: r.netid,
    namespace: n.namespace,
    bridge: n.bridge,
    wireguard: n.wireguard,
    listen_port: r.port,
    public_key: publicKeyOf(r.doc.wireguard_private_key),
    mtu: r.mtu,
    addresses: { gateway: a.gateway, wire: a.wire, ula: a.ula },
    changed,
  };
}

const PORT = 'network.wireguard_listen_port';

/**
 * The NR work lock (`nets.json.work.lock`): one apply, delete or repair at a time on the node,
 * across processes (one lock for all NRs, so deleting an NR leaves no lock file of its own).
 * `netid` is for the callers' reading: every NR shares it.
 */
export const withNrLock = <T>(netsPath: string, _netid: string, fn: () => Promise<T>): Promise<T> =>
  withLock(`${netsPath}.work.lock`, fn, 120_000);

/** The checks against the other records and the host; throws (changing nothing) when one fails. */
async function checkPort(others: readonly NrRecord[], old: NrRecord | undefined, doc: NetworkDocument): Promise<void> {
  const port = doc.wireguard_listen_port;
  if (old && old.phase !== 'deleting' && old.port !== port) {
    throw new ValidationError(
      PORT,
      `${port}: the NR listens on ${old.port}, fixed for its life; delete the NR first (net.delete) to change it`,
    );
  }
  const holder = others.find((r) => r.port === port);
  if (holder)
    throw conflict(`${PORT}: ${port} is the listen port of NR ${holder.netid}`, { field: PORT, netid: holder.netid });
  if ((!old || old.phase === 'deleting') && !(await udpPortFree(port))) {
    throw conflict(`${PORT}: UDP port ${port} is held by another socket on this node`, { field: PORT });
  }
}

/** Runs the ensure steps converging the kernel to record `r` (its doc); returns the namespace table sums. */
export async function converge(netsPath: string, r: NrRecord): Promise<NrRecord['nft']> {
  const t: NrTarget = { netid: r.netid, doc: r.doc, index: r.index, mtu: r.mtu, bridgeMac: r.bridgeMac };
  const backend = await nrBackend();
  const up = uplinks();
  up.catch(() => undefined); // awaited by the host table's step; unhandled until then
  const ns = await ensureNrNamespace(r.netid);
  const layout = convergeLayout(t, backend, ns);
  // Released once wireguard-go started; at the latest here, whatever happened (nothing waits forever).
  void layout.then(ns.release, ns.release);
  // The firewall names links, not their indexes: it is written beside the links, not after them.
  const [, nft] = await allSettledOrThrow([
    layout,
    (async () => {
      await ns.ready;
      failpoint('net-apply:firewall');
      const sums = await ensureNrTable(nsOf(r.netid), r.netid, r.nft);
      failpoint('net-apply:host');
      await ensureHostForwarding();
      await syncHostTable(netsPath, async () => (await readNets(netsPath)).nets, up);
      return sums;
    })(),
  ]);
  return nft;
}

/** Marks record `netid` applied with `nft` (unless another apply replaced it meanwhile: the lock prevents that). */
export async function markApplied(netsPath: string, r: NrRecord, nft: NrRecord['nft']): Promise<NrRecord> {
  failpoint('net-apply:record');
  const done: NrRecord = { ...r, phase: 'applied', ...(nft ? { nft } : {}), at: new Date().toISOString() };
  await updateNets(netsPath, (s) => putNr(s, done));
  return done;
}

/** net.apply {netid, network}: validated arguments (document.ts parseNetworkDocument). */
export async function applyNr(netsPath: string, a: { netid: string; network: NetworkDocument }): Promise<NrResult> {
  return withNrLock(netsPath, a.netid, async () => {
    const s = await readNets(netsPath);
    let old = findNr(s, a.netid);
    if (old?.phase === 'applied' && JSON.stringify(old.doc) === JSON.stringify(a.network)) return resultOf(old, false);
    await checkPort(
      s.nets.filter((r) => r.netid !== a.netid),
      old,
      a.network,
    );
    if (old?.phase === 'deleting') {
      await finishDelete(netsPath, a.netid);
      old = undefined;
    }
    const mtu = await nrMtu(a.network);
    failpoint('net-apply:validated');
    const rec = await updateNets(netsPath, (st) => {
      const index = old?.index ?? freeIndex(st, MAX_NR_INDEX);
      if (index === undefined)
        throw conflict(`netid: this node holds ${MAX_NR_INDEX + 1} NRs already`, { field: 'netid' });
      const r: NrRecord = {
        netid: a.netid,
        doc: a.network,
        phase: 'applying',
        owner: self(),
        index,
        port: a.network.wireguard_listen_port,
        mtu,
        at: new Date().toISOString(),
        bridgeMac: old?.bridgeMac ?? randomMac(),
        ...(old?.nft ? { nft: old.nft } : {}),
      };
      putNr(st, r);
      return r;
    });
    failpoint('net-apply:recorded');
    const nft = await converge(netsPath, rec);
    return resultOf(await markApplied(netsPath, rec, nft), true);
  });
}

/** Finishes (repairs) NR `netid` from its record: apply's steps again; used by check's repair. */
export async function reapplyNr(netsPath: string, netid: string): Promise<void> {
  const r = findNr(await readNets(netsPath), netid);
  if (!r || r.phase === 'deleting') return;
  const nft = await converge(netsPath, { ...r, owner: self() });
  await markApplied(netsPath, r, nft);
}
