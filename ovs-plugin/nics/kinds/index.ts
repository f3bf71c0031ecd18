// The nic kinds by name (one module each, attach / detach / check, as CNI's plugins).
import type { Kind, NicKind, RecordOf } from '../types.ts';
import { tapKind } from '../tap.ts';
import { bridgeKind, bridgePlug } from './bridge.ts';
import { defaultKind, defaultPlug } from './default.ts';
import { fleetKind, fleetPlug } from './fleet.ts';
import { macvlanKind } from './macvlan.ts';
import { networkKind, networkPlug } from './network.ts';
import { passthroughKind } from './passthrough.ts';
import { vlanKind, vlanPlug } from './vlan.ts';
import { vxlanKind, vxlanPlug } from './vxlan.ts';
import { zerotierKind } from './zerotier.ts';

/** Each kind's module, typed on that kind's record; undefined: refused (every kind must be named). */
type KindTable = { [K in Kind]: NicKind<RecordOf<K>> | undefined };

/** Every kind this build provides; a kind set to undefined is refused by attach with EUNSUPPORTED. */
export const KIND_MODULES = {
  default: defaultKind,
  bridge: bridgeKind,
  vlan: vlanKind,
  vxlan: vxlanKind,
  macvlan: macvlanKind,
  passthrough: passthroughKind,
  network: networkKind,
  zerotier: zerotierKind,
  fleet: fleetKind,
} satisfies KindTable;

/** The kinds a KVM guest can have: a tap plugged as the container kind plugs its veth. */
export const GUEST_KINDS = {
  default: tapKind(defaultPlug),
  bridge: tapKind(bridgePlug),
  vlan: tapKind(vlanPlug),
  vxlan: tapKind(vxlanPlug),
  network: tapKind(networkPlug),
  fleet: tapKind(fleetPlug),
  macvlan: undefined,
  passthrough: undefined,
  // A ZeroTier member is a process inside a container's namespace; a guest would run its own.
  zerotier: undefined,
} satisfies KindTable;

/**
 * The module of kind `type` for a guest or a container. Each table's entry K takes records of
 * kind K, and a record's `nic.type` picks its entry: the one place the union is widened.
 */
export const kindFor = (guest: boolean, type: Kind): NicKind | undefined =>
  ((guest ? GUEST_KINDS : KIND_MODULES) as KindTable)[type] as NicKind | undefined;

/** The module of `rec`'s kind for its target. */
export const kindOf = (rec: { target: object; nic: { type: Kind } }): NicKind | undefined =>
  kindFor('kvm' in rec.target, rec.nic.type);
