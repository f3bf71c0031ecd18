// Waiting for a member: first its local API (it answers within ~100 ms of its start; a member
// that exits or stays silent for START_MS is EZTSTART), then, unless `wait_ms` is 0, its network:
// `OK` with its assigned addresses on the interface of the record's name. A network still
// ACCESS_DENIED, NOT_FOUND or REQUESTING_CONFIGURATION when the wait is over is EZTJOIN naming
// that state (the controller may authorize, or create the network, during the wait);
// PORT_ERROR and CLIENT_TOO_OLD end the wait at once. In the daemon the command's slot is given
// back between polls, as a DHCP wait does.
import { sleep } from '../../../lib/backoff.ts';
import type { NetnsRef } from '../../../lib/netns.ts';
import { withoutSlot } from '../../slot.ts';
import { nicExists, ztJoin, ztStart } from '../errors.ts';
import { addressesOf } from '../link-addresses.ts';
import type { ZtMember } from '../types.ts';
import { FINAL_STATES, networkOf, type ZtNetwork } from './api.ts';
import { memberPids } from './member.ts';

/** How long a started member has to answer on its API. */
const START_MS = 10_000;
/** Poll period (joins move on ZeroTier's 5 s timer, but a pre-authorized one is OK in ~0.7 s). */
const POLL_MS = 100;

/** What a member was asked for: where it runs, how to reach it, which network, the nic's name. */
export interface MemberRef {
  ref: NetnsRef;
  bin: string;
  m: ZtMember;
  nwid: string;
  name: string;
}

/** The network once the member's API answers (null: it answers without it yet); EZTSTART when it does not. */
export async function waitForApi(a: MemberRef): Promise<ZtNetwork | null> {
  const end = Date.now() + START_MS;
  for (;;) {
    const n = await networkOf(a.ref, a.bin, a.m, a.nwid);
    if (n !== undefined) return n;
    if (!(await memberPids(a.m.home)).length)
      throw ztStart(`zerotier-one of ${a.m.home} exited at its start`, { home: a.m.home });
    if (Date.now() > end)
      throw ztStart(`zerotier-one of ${a.m.home} did not answer on port ${a.m.port} within ${START_MS} ms`, {
        home: a.m.home,
      });
    await withoutSlot(() => sleep(50));
  }
}

/** True when every assigned address is on the interface (the member adds them just after it says OK). */
async function addressesUp(a: MemberRef, n: ZtNetwork): Promise<boolean> {
  const have = new Set(await addressesOf(a.ref, a.name));
  return n.assignedAddresses.every((x) => have.has(x));
}

/** Waits up to `waitMs` for the network to be OK with its addresses in place; EZTJOIN naming the state otherwise. */
export async function waitJoined(a: MemberRef, waitMs: number): Promise<ZtNetwork> {
  const end = Date.now() + waitMs;
  let last = 'REQUESTING_CONFIGURATION';
  for (;;) {
    const n = await networkOf(a.ref, a.bin, a.m, a.nwid);
    if (n) {
      last = n.status;
      if (n.status === 'OK' && n.assignedAddresses.length) {
        // devicemap names the TAP unless a link of that name appeared meanwhile (then it keeps zt...).
        if (n.portDeviceName && n.portDeviceName !== a.name)
          throw nicExists('nic.name', `${a.name} exists in the target (the member's interface is ${n.portDeviceName})`);
        if (await addressesUp(a, n)) return n;
      }
      if (FINAL_STATES.has(n.status)) break;
    }
    if (Date.now() > end) break;
    await withoutSlot(() => sleep(POLL_MS));
  }
  throw ztJoin(a.nwid, last, a.m.node, waitMs);
}
