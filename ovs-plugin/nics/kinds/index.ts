// The nic kinds by name (one module each, attach / detach / check, as CNI's plugins).
import type { Kind, NicKind } from '../types.ts';
import { tapKind } from '../tap.ts';
import { bridgeKind, bridgePlug } from './bridge.ts';
import { defaultKind, defaultPlug } from './default.ts';
import { macvlanKind } from './macvlan.ts';
import { networkKind, networkPlug } from './network.ts';
import { passthroughKind } from './passthrough.ts';
import { vlanKind, vlanPlug } from './vlan.ts';
import { vxlanKind, vxlanPlug } from './vxlan.ts';

/** Every kind this build provides; a kind not listed is refused by attach with EUNSUPPORTED. */
export const KIND_MODULES: Partial<Record<Kind, NicKind>> = {
  default: defaultKind,
  bridge: bridgeKind,
  vlan: vlanKind,
  vxlan: vxlanKind,
  macvlan: macvlanKind,
  passthrough: passthroughKind,
  network: networkKind,
};

/** The kinds a KVM guest can have: a tap plugged as the container kind plugs its veth. */
export const GUEST_KINDS: Partial<Record<Kind, NicKind>> = {
  default: tapKind(defaultPlug),
  bridge: tapKind(bridgePlug),
  vlan: tapKind(vlanPlug),
  vxlan: tapKind(vxlanPlug),
  network: tapKind(networkPlug),
};

/** The module of `rec`'s kind for its target. */
export const kindOf = (rec: { target: object; nic: { type: Kind } }): NicKind | undefined =>
  ('kvm' in rec.target ? GUEST_KINDS : KIND_MODULES)[rec.nic.type];
