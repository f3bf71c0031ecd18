// The JSON arguments and results of every command as a client sends them (v1 names), declared
// once: each argument with its JSON type, whether it is required, its type in words and its
// doc. From these come the wire types (Infer), each command's --help (usageOf) and the names
// its validator accepts (argsOf, which lets it read only declared fields), and the typed
// client's methods (transports/client.ts: Args and Result by command name). The validators
// parse these wire arguments into the planners' own (a Map of options, `mayExist`).
// Enumerations come from the generated schema types.
import { ENCAPS, type Encap } from '../fleet/args.ts';
import type { JoinResult } from '../fleet/chassis.ts';
import type { NetworkResult } from '../fleet/networks.ts';
import type { CheckResult, ListedNic } from '../nics/check.ts';
import type { GcReport } from '../nics/detach.ts';
import type { RestoreResult } from '../nics/state-restore.ts';
import type { AttachResult, GuestResult, NicSpec, TargetSpec } from '../nics/types.ts';
import type { NetworkDocument } from '../overlay/document.ts';
import type { NrResult } from '../overlay/nr-apply.ts';
import type { ListedNr, NrCheckResult } from '../overlay/nr-check.ts';
import type { PortRow, Rows } from '../ovsdb/vswitch-schema.ts';
import { typeOf } from '../ovsdb/rows.ts';
import { SETTABLE_TABLES } from '../planners/columns.ts';
import { optional, required, type Infer } from '../validate.ts';
import type { FleetStatus } from './fleet.ts';

/** Option maps: `column` or `column:key` -> value string, as ovs-vsctl `set` takes them. */
export type Options = Record<string, string>;
/** Bond modes: the enum of Port.bond_mode in vswitch.ovsschema. */
export type BondMode = NonNullable<PortRow['bond_mode']>;
/** Bond modes, from the schema's enum of Port.bond_mode. */
export const BOND_MODES = typeOf('Port', 'bond_mode').key.enum as readonly BondMode[];
/** A nic as a client sends it (validated into NicSpec). */
export type NicWire = Partial<NicSpec> & { type: string };

const NETID = required<string>('string', "the network's id: 1..13 characters of A-Z a-z 0-9");

const TARGET = required<TargetSpec>(
  '{netns} | {pid} | {kvm, pid?}',
  "a named netns, a process's netns, or a KVM guest",
);

/** Every command's arguments by its full name. */
export const ARGS = {
  'ovs.bridge-add': {
    bridge: required<string>('name', 'the bridge to create'),
    options: optional<Options>(
      '{column[:key]: string}',
      'Bridge columns to set, e.g. {"stp_enable": "true", "other_config:hwaddr": "..."}',
    ),
    may_exist: optional<boolean>(
      'boolean',
      'an existing bridge is success (its columns are changed only if it is ours)',
    ),
  },
  'ovs.bridge-del': { bridge: required<string>('name', 'the bridge to delete') },
  'ovs.port-add': {
    bridge: required<string>('name', 'the bridge'),
    port: required<string>('name', 'the port and interface name (a NIC, tap or veth)'),
    vlan: optional<number>('0..4094', 'access tag; 0 (default) is untagged'),
    options: optional<Options>(
      '{column[:key]: string}',
      'Interface columns, e.g. {"type": "internal", "mtu_request": "9000"}',
    ),
    may_exist: optional<boolean>('boolean', 'an existing port on that bridge is success (updated only if it is ours)'),
  },
  'ovs.port-del': {
    port: required<string>('name', 'the port'),
    bridge: optional<string>('name', 'the bridge it must be on'),
  },
  'ovs.bond-add': {
    bridge: required<string>('name', 'the bridge'),
    port: required<string>('name', 'the bond port'),
    links: required<string[]>('[name, name, ...]', 'at least 2 distinct interfaces'),
    mode: optional<BondMode>(BOND_MODES.join(' | '), 'bond_mode (default balance-slb)'),
    lacp: optional<boolean>('boolean', 'lacp=active'),
  },
  'ovs.set': {
    table: required<keyof Rows>(SETTABLE_TABLES.join(' | '), 'the table'),
    record: required<string>('name | "."', 'the row by name; "." for Open_vSwitch'),
    values: required<Options>('{column[:key]: string}', 'columns to set, checked against vswitch.ovsschema'),
  },
  'ovs.vlan-ensure': {
    master: required<string>('name', 'the bridge carrying the tagged traffic'),
    vlan: required<number>('0..4094', 'the tag; 0 is untagged'),
    name: optional<string>('name', 'the VLAN bridge (default vlbr<tag>)'),
  },
  'ovs.vlan-del': {
    vlan: required<number>('0..4094', 'the tag'),
    master: optional<string>('name', 'the master it must be patched into'),
    name: optional<string>('name', 'the VLAN bridge it must be'),
  },
  'ovs.vxlan-ensure': {
    master: required<string>('name', 'the underlay bridge (an OVS bridge that is a link)'),
    vxlan: required<number>('1..16777215', 'the VNI'),
    name: optional<string>('name', 'the VXLAN bridge (default vxlbr<vni>)'),
    remotes: optional<string[]>('[IP, ...]', 'unicast peers of one family instead of the multicast group'),
  },
  'ovs.vxlan-del': {
    vxlan: required<number>('1..16777215', 'the VNI'),
    master: optional<string>('name', 'the underlay bridge (unused; v1 symmetry)'),
    name: optional<string>('name', 'the VXLAN bridge it must be'),
  },
  'ovs.vtep-ensure': {
    bridge: required<string>('name', 'the underlay link'),
    vnid: required<number>('1..16777215', 'the VNI'),
  },
  'ovs.vtep-del': { vnid: required<number>('1..16777215', 'the VNI') },
  'nic.attach': {
    target: TARGET,
    nic: required<NicWire>('{type, id, hwaddr?, name?, mtu?, config?, root?}', 'the nic, as v1'),
  },
  'nic.detach': { target: TARGET, name: required<string>('name', "the nic's name in the target (a guest: its tap)") },
  'nic.list': { target: optional<TargetSpec>(TARGET.type, TARGET.doc) },
  'nic.check': {
    target: TARGET,
    name: required<string>('name', 'the nic'),
    repair: optional<boolean>('boolean', 'recreate what drifted'),
  },
  'nic.gc': {},
  'nic.state-restore': {},
  'net.apply': {
    netid: NETID,
    network: required<NetworkDocument>(
      '{ip_range, subnet, wireguard_private_key, wireguard_listen_port, peers}',
      'the network workload document, as Zero-OS takes it',
    ),
  },
  'net.delete': { netid: NETID },
  'net.namespace': { netid: NETID },
  'net.list': {},
  'net.check': { netid: NETID, repair: optional<boolean>('boolean', 'converge what drifted') },
  'fleet.join': {
    nb: required<string>(
      'tcp:H:P | ssl:H:P | unix:PATH [,...]',
      'the OVN NB database (the plugin makes switches there)',
    ),
    sb: required<string>('tcp:H:P | ssl:H:P | unix:PATH [,...]', "the OVN SB database (ovn-controller's ovn-remote)"),
    encap_ip: required<string>('IP', 'the tunnel endpoint: an address of this node'),
    encap: optional<Encap>(ENCAPS.join(' | '), 'the tunnel encapsulation (default geneve)'),
    bridge_mappings: optional<string>(
      'physnet:bridge[,...]',
      'physical networks onto existing bridges (VLAN networks)',
    ),
    hostname: optional<string>('host name', "the chassis's hostname in the SB (default: this node's)"),
  },
  'fleet.leave': {},
  'fleet.status': {},
  'fleet.network-ensure': {
    name: required<string>('1..32 of A-Z a-z 0-9 _ . -', 'the network (logical switch) name'),
    vlan: optional<number>('1..4094', 'a VLAN network: a localnet port on physnet with this tag'),
  },
  'fleet.network-del': { name: required<string>('1..32 of A-Z a-z 0-9 _ . -', 'the network') },
} as const;

/** Each command's result by its full name. */
export interface Results {
  'ovs.bridge-add': null;
  'ovs.bridge-del': string;
  'ovs.port-add': null;
  'ovs.port-del': null;
  'ovs.bond-add': null;
  'ovs.set': null;
  'ovs.vlan-ensure': string;
  'ovs.vlan-del': null;
  'ovs.vxlan-ensure': string;
  'ovs.vxlan-del': null;
  'ovs.vtep-ensure': string;
  'ovs.vtep-del': null;
  'nic.attach': AttachResult | GuestResult;
  'nic.detach': null;
  'nic.list': ListedNic[];
  'nic.check': CheckResult;
  'nic.gc': GcReport;
  'nic.state-restore': RestoreResult;
  'net.apply': NrResult;
  'net.delete': null;
  'net.namespace': string;
  'net.list': ListedNr[];
  'net.check': NrCheckResult;
  'fleet.join': JoinResult;
  'fleet.leave': null;
  'fleet.status': FleetStatus;
  'fleet.network-ensure': NetworkResult;
  'fleet.network-del': null;
}

/** A command's full name. */
export type CommandName = keyof typeof ARGS & keyof Results;
/** The wire arguments of command N. */
export type Args<N extends CommandName> = Infer<(typeof ARGS)[N]>;
/** Arguments and result of each command by its full name. */
export type Wire = { [N in CommandName]: [Args<N>, Results[N]] };

/** ovs.bridge-add; options are Bridge columns. */
export type BridgeAddArgs = Args<'ovs.bridge-add'>;
/** ovs.bridge-del. */
export type BridgeDelArgs = Args<'ovs.bridge-del'>;
/** ovs.port-add; options are Interface columns. */
export type PortAddArgs = Args<'ovs.port-add'>;
/** ovs.port-del. */
export type PortDelArgs = Args<'ovs.port-del'>;
/** ovs.bond-add. */
export type BondAddArgs = Args<'ovs.bond-add'>;
/** ovs.set: `record` is a name, or "." for the Open_vSwitch table. */
export type SetArgs = Args<'ovs.set'>;
/** ovs.vlan-ensure. */
export type VlanEnsureArgs = Args<'ovs.vlan-ensure'>;
/** ovs.vlan-del. */
export type VlanDelArgs = Args<'ovs.vlan-del'>;
/** ovs.vxlan-ensure; `remotes` gives unicast peers instead of multicast. */
export type VxlanEnsureArgs = Args<'ovs.vxlan-ensure'>;
/** ovs.vxlan-del. */
export type VxlanDelArgs = Args<'ovs.vxlan-del'>;
/** ovs.vtep-ensure: `bridge` is the underlay link. */
export type VtepEnsureArgs = Args<'ovs.vtep-ensure'>;
/** ovs.vtep-del. */
export type VtepDelArgs = Args<'ovs.vtep-del'>;
