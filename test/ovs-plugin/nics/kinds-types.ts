// Type-level test, checked by `npx tsc --noEmit` (never run): every table and switch over nic
// kinds names each kind, so a kind added to KINDS fails to compile until each place handles it,
// and a record of a kind must carry that kind's fields. Each `@ts-expect-error` below is a
// compile error tsc must see; if one stops being an error, tsc fails on the unused directive.
import { KIND_NEEDS_OVSDB } from '../../../ovs-plugin/nics/ovs-need.ts';
import type { OvsdbNeed } from '../../../ovs-plugin/commands/types.ts';
import { assertNever, type ByKind, type Kind, type NicKind, type RecordOf } from '../../../ovs-plugin/nics/types.ts';
import { STEPS } from './crash.ts';

/** A kind that is not (yet) in KINDS, standing for the next one. */
type Next = Kind | 'wifi';

// A per-kind table that leaves a kind out does not compile.
// @ts-expect-error: 'passthrough' is missing
export const partial: ByKind<string> = {
  default: (r) => r.address,
  bridge: (r) => r.bridge,
  vlan: (r) => r.bridge,
  vxlan: (r) => r.bridge,
  macvlan: (r) => r.parent,
};

// The existing tables are complete for today's kinds, and not for one more.
export const needs: Record<Kind, OvsdbNeed> = KIND_NEEDS_OVSDB;
// @ts-expect-error: the table has no entry for the next kind
export const needsNext: Record<Next, OvsdbNeed> = KIND_NEEDS_OVSDB;
// @ts-expect-error: the crash test's step list has no entry for the next kind
export const stepsNext: Record<Next, unknown> = STEPS;

// A switch over kinds with a `never` default fails when a case is missing.
export function idOf(k: Kind): string {
  switch (k) {
    case 'default':
    case 'bridge':
    case 'vlan':
    case 'vxlan':
    case 'macvlan':
      return k;
    default:
      // @ts-expect-error: 'passthrough' (and 'network', 'fleet') reach the default
      return assertNever(k);
  }
}

// A record of a kind has that kind's fields, required.
export const vlanRecordFields = (r: RecordOf<'vlan'>): [string, number] => [r.bridge, r.tag];
// @ts-expect-error: a vlan record has no VNI (it is absent, never a number)
export const vlanVni = (r: RecordOf<'vlan'>): number => r.vni;
// @ts-expect-error: a passthrough record's saved link is required
export const noSaved: Partial<RecordOf<'passthrough'>> & Pick<RecordOf<'passthrough'>, 'saved'> = {};

// A kind module is typed on its own record: a vlan kind's attach cannot be given a macvlan record.
export const misuse = (k: NicKind<RecordOf<'vlan'>>, r: RecordOf<'macvlan'>) =>
  // @ts-expect-error: a macvlan record is not a vlan record
  k.check({ ovs: undefined as never, target: undefined }, r);
