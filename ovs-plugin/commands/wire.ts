// The JSON arguments and results of every `ovs.*` command as a client sends them (v1 names),
// defined once: the validators return these types and the typed client
// (transports/client.ts) imports them. Enumerations come from the generated schema types.
import type { PortRow, Rows } from '../ovsdb/vswitch-schema.ts';

/** Option maps: `column` or `column:key` -> value string, as ovs-vsctl `set` takes them. */
export type Options = Record<string, string>;

/** ovs.bridge-add; options are Bridge columns. */
export interface BridgeAddArgs { bridge: string; options?: Options; may_exist?: boolean }
/** ovs.bridge-del. */
export interface BridgeDelArgs { bridge: string }
/** ovs.port-add; options are Interface columns. */
export interface PortAddArgs { bridge: string; port: string; vlan?: number; options?: Options; may_exist?: boolean }
/** ovs.port-del. */
export interface PortDelArgs { port: string; bridge?: string }
/** Bond modes: the enum of Port.bond_mode in vswitch.ovsschema. */
export type BondMode = NonNullable<PortRow['bond_mode']>;
/** ovs.bond-add. */
export interface BondAddArgs { bridge: string; port: string; links: string[]; mode?: BondMode; lacp?: boolean }
/** ovs.set: `record` is a name, or "." for the Open_vSwitch table. */
export interface SetArgs { table: keyof Rows; record: string; values: Options }
/** ovs.vlan-ensure. */
export interface VlanEnsureArgs { master: string; vlan: number; name?: string }
/** ovs.vlan-del. */
export interface VlanDelArgs { vlan: number; master?: string; name?: string }
/** ovs.vxlan-ensure; `remotes` gives unicast peers instead of multicast. */
export interface VxlanEnsureArgs { master: string; vxlan: number; name?: string; remotes?: string[] }
/** ovs.vxlan-del. */
export interface VxlanDelArgs { vxlan: number; master?: string; name?: string }
/** ovs.vtep-ensure: `bridge` is the underlay link. */
export interface VtepEnsureArgs { bridge: string; vnid: number }
/** ovs.vtep-del. */
export interface VtepDelArgs { vnid: number }

/** Arguments and result of each command by its full name. */
export interface Wire {
  'ovs.bridge-add': [BridgeAddArgs, null];
  'ovs.bridge-del': [BridgeDelArgs, string];
  'ovs.port-add': [PortAddArgs, null];
  'ovs.port-del': [PortDelArgs, null];
  'ovs.bond-add': [BondAddArgs, null];
  'ovs.set': [SetArgs, null];
  'ovs.vlan-ensure': [VlanEnsureArgs, string];
  'ovs.vlan-del': [VlanDelArgs, null];
  'ovs.vxlan-ensure': [VxlanEnsureArgs, string];
  'ovs.vxlan-del': [VxlanDelArgs, null];
  'ovs.vtep-ensure': [VtepEnsureArgs, string];
  'ovs.vtep-del': [VtepDelArgs, null];
}
