// What needs a joined node (network commands, the fleet nic kind): the membership read from the
// Open_vSwitch row, and the NB client it names. ENOTJOINED before fleet.join.
import { notJoined } from '../../lib/errors.ts';
import type { Client } from '../ovsdb/client.ts';
import type { OvsdbClient } from '../ovsdb/types.ts';
import { View } from '../planners/view.ts';
import { membershipOf, type Membership } from './chassis.ts';
import { nbClient } from './nb-link.ts';

/** A joined node's membership: chassis, NB and SB remotes are all set. */
export type Joined = Membership & { joined: true; chassis: string; nb: string; sb: string };

/** The node's membership; ENOTJOINED (naming `field`, if given) when it has not joined. */
export function requireJoined(client: Pick<OvsdbClient, 'cache'>, field?: string): Joined {
  const m = membershipOf(new View(client.cache));
  if (!m.joined || !m.chassis || !m.nb || !m.sb)
    throw notJoined('this node is not in a fleet: run fleet.join first', field);
  return m as Joined;
}

/** The joined node's NB client. */
export const joinedNb = (m: Joined): Promise<Client> => nbClient(m.nb);
