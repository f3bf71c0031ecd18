// The nic kinds by name (one module each, attach / detach / check, as CNI's plugins).
import type { Kind, NicKind } from '../types.ts';
import { bridgeKind } from './bridge.ts';
import { defaultKind } from './default.ts';
import { macvlanKind } from './macvlan.ts';
import { passthroughKind } from './passthrough.ts';
import { vlanKind } from './vlan.ts';
import { vxlanKind } from './vxlan.ts';

/** Every kind this build provides; a kind not listed is refused by attach with EUNSUPPORTED. */
export const KIND_MODULES: Partial<Record<Kind, NicKind>> = {
  default: defaultKind,
  bridge: bridgeKind,
  vlan: vlanKind,
  vxlan: vxlanKind,
  macvlan: macvlanKind,
  passthrough: passthroughKind,
};
