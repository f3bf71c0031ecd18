// The `network` nics of one network resource, for net.delete: it refuses (EBUSY naming them)
// while any record of type `network` with that netid exists, whatever its phase (an attach
// records its nic before its first change). Read under the nic state lock, so with the NR
// marked `deleting` first and this read after, every attach is either seen here or sees the
// mark itself (kinds/network.ts ensure re-reads the NR once its record is written): no nic is
// left on a bridge that net.delete removed under it.
import { readState, updateState } from './state.ts';

/** Keys of the nic records on NR `netid` (any phase), read under the nic state lock. */
export async function networkNicsOf(statePath: string, netid: string): Promise<string[]> {
  return updateState(statePath, (s) => usersIn(s.nics, netid));
}

/** The same without the lock (net.list, a quick refusal before the locked check). */
export async function networkNicsNow(statePath: string, netid: string): Promise<string[]> {
  return usersIn((await readState(statePath)).nics, netid);
}

const usersIn = (
  nics: readonly { key: string; nic: { type: string; id?: string | number } }[],
  netid: string,
): string[] => nics.filter((r) => r.nic.type === 'network' && r.nic.id === netid).map((r) => r.key);
