// net.delete: the record marked `deleting` first, then everything removed (idempotent: WireGuard
// and its wireguard-go and socket, links, namespace, the NR's elements of the host table), then
// the record dropped; a delete cut short is finished by the next delete, apply or repair. Gone
// is success. Refused (EBUSY naming them) while `network` nics of the NR are attached.
import { busy } from '../../lib/errors.ts';
import { failpoint } from '../nics/failpoint.ts';
import { self } from '../nics/proc.ts';
import { readState } from '../nics/state.ts';
import { syncHostTable } from './nr-firewall.ts';
import { deleteLayout } from './nr-layout.ts';
import { dropNr, findNr, putNr, readNets, updateNets } from './nr-state.ts';
import { nrBackend } from './nr-wireguard.ts';

/** The `network` nics of `netid` in the nic state file (their names in their targets). */
async function attachedNics(statePath: string, netid: string): Promise<string[]> {
  const s = await readState(statePath);
  return s.nics
    .filter((r) => (r.nic.type as string) === 'network' && String(r.nic.id) === netid)
    .map((r) => `${r.name} (${r.key})`);
}

/** Removes NR `netid` whose record is (or is now) `deleting`; the caller holds the NR lock. */
export async function finishDelete(netsPath: string, netid: string): Promise<void> {
  failpoint('net-delete:marked');
  await deleteLayout(netid, await nrBackend());
  failpoint('net-delete:layout');
  // The host table first (a `deleting` record is left out of it), the record last: a delete cut
  // short anywhere keeps its record, and the next delete, apply or repair finishes it.
  await syncHostTable(netsPath, async () => (await readNets(netsPath)).nets);
  failpoint('net-delete:host');
  await updateNets(netsPath, (s) => dropNr(s, netid));
}

/** net.delete {netid} -> null. */
export async function deleteNr(
  netsPath: string,
  statePath: string,
  netid: string,
  withNrLock: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<null> {
  return withNrLock(async () => {
    const r = findNr(await readNets(netsPath), netid);
    // Gone: only the host table is brought in line (a no-op unless it was left stale).
    if (!r) {
      await syncHostTable(netsPath, async () => (await readNets(netsPath)).nets);
      return null;
    }
    const nics = await attachedNics(statePath, netid);
    if (nics.length)
      throw busy(`netid: NR ${netid} still has network nics attached: ${nics.join(', ')}; detach them first`, {
        field: 'netid',
        nics,
      });
    await updateNets(netsPath, (s) =>
      putNr(s, { ...r, phase: 'deleting', owner: self(), at: new Date().toISOString() }),
    );
    await finishDelete(netsPath, netid);
    return null;
  });
}
