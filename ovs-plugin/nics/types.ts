// What a nic attachment is: the request (target + nic, validated), and the record kept in the
// state file from before the first change to after the last, with everything undo needs.
import type { NetnsRef } from '../../lib/netns.ts';
import type { Ctx } from '../planners/plan.ts';
import type { UndoStack } from '../../lib/undo.ts';
import type { Pool } from './nat.ts';

/** Kinds of nic (v1's names). */
export const KINDS = [
  'default',
  'bridge',
  'vlan',
  'vxlan',
  'macvlan',
  'passthrough',
  'network',
  'zerotier',
  'fleet',
] as const;
/** One kind of nic. */
export type Kind = (typeof KINDS)[number];

/** Where a nic goes: a named netns, a process's netns, or a KVM guest (a tap on the host). */
export type TargetSpec = { netns: string } | { pid: number } | { kvm: string; pid?: number };

/** Addressing inside the target. */
export interface NicConfig {
  cidr?: string;
  gateway?: string;
  dns?: string[];
  dhcp?: boolean;
  /** zerotier: how long attach waits for the network to be OK (0: answer at once, the member left joining). */
  wait_ms?: number;
}

/** A validated nic request (`id` is a string, or the number for vlan/vxlan). */
export interface NicSpec {
  type: Kind;
  id?: string | number;
  hwaddr?: string;
  name?: string;
  mtu?: number;
  /** kvm guests: the tap's queues (above 1: a multi_queue tap and virtio-net `mq`). */
  queues?: number;
  config?: NicConfig;
  root?: string;
}

/** The namespace file's identity when the nic was attached: a different inode is another namespace. */
export interface NsIdentity {
  dev: number;
  ino: number;
}

/** A process as recorded: its pid and its start time (/proc/PID/stat field 22), so a reused pid is not taken for it. */
export interface ProcId {
  pid: number;
  start: string;
}

/** What passthrough saves before its first change, to give the NIC back as it was. */
export interface SavedLink {
  name: string;
  mac: string;
  mtu: number;
  up: boolean;
  /** Permanent MAC (`ip -j link` permaddr), when the kernel knows one. */
  permaddr?: string;
  /** PCI address of the device (`parentdev` when `parentbus` is pci). */
  pci?: string;
  kind?: string;
}

/** The answer of nic.attach for a container. */
export interface AttachResult {
  name: string;
  host?: string;
  hwaddr: string;
  mtu: number;
  bridge?: string;
  tag?: number;
  vni?: number;
  addresses: string[];
  /** zerotier: the member's node id (10 hex digits), what the network's controller authorizes. */
  node_id?: string;
  /** zerotier: the network's status as the member reports it (`OK`, `REQUESTING_CONFIGURATION`, ...). */
  network_status?: string;
}

/** The answer of nic.attach for a KVM guest: the tap, and how libvirt or QEMU opens it. */
export interface GuestResult {
  tap: string;
  hwaddr: string;
  mtu: number;
  bridge: string;
  tag?: number;
  vni?: number;
  /**
   * `default` nics: the guest's address from the NAT pool and its gateway (nat0); `network` nics: from the NR's /24 and
   * its `.1`; for the guest to configure.
   */
  address?: string;
  gateway?: string;
  /** `network` nics on an NR that carries IPv6: the guest's ULA (`/64`) and the NR's `::1` in it. */
  address6?: string;
  gateway6?: string;
  /** Above 1: the tap is multi_queue, QEMU opens it that many times. */
  queues?: number;
  /** `<interface type='ethernet'>...` for the domain XML. */
  libvirt: string;
  /** `-netdev tap,...` and `-device virtio-net-pci,...`. */
  qemu: string[];
}

/** A zerotier nic's member: its home directory (identity, local.conf, devicemap, networks.d), port and node id. */
export interface ZtMember {
  home: string;
  /** UDP port and local API port (local.conf primaryPort), inside the target. */
  port: number;
  /** Node id: the first 10 hex digits of its identity. */
  node: string;
}

/** Last check of an attachment. */
export interface CheckSummary {
  at: string;
  ok: boolean;
  drift: string[];
}

/** What every record has, whatever its kind (state-shape.ts checks each on read). */
export interface RecordBase {
  /** `<target key>/<name>`: unique in the file. */
  key: string;
  target: TargetSpec;
  ns: NsIdentity;
  /** Name inside the target. */
  name: string;
  nic: NicSpec;
  /** `repairing`: attached, and nic.check is re-creating what drifted (detach waits for it: EBUSY). */
  phase: 'attaching' | 'attached' | 'detaching' | 'repairing';
  /** The process carrying out the phase (a dead owner means the phase was cut short). */
  owner: ProcId;
  /** Host end: the veth's or the tap (a guest's nic: its name); macvlan/passthrough: an unused name of ours. */
  host: string;
  /** The link's temporary name on the way in. */
  temp: string;
  hwaddr: string;
  mtu?: number;
  /** Turn off TX checksum offload on the veth ends (netdev-datapath bridge; OVS kinds set it). */
  txOff?: boolean;
  /** `nameserver` lines this nic added to <root>/etc/resolv.conf. */
  dnsAdded?: string[];
  /** config.dhcp: the client's files (pid file named before it starts). */
  dhcp?: { pidfile: string; script: string; resolv: string };
  result?: AttachResult | GuestResult;
  /** kvm target with a pid: the QEMU process (gc removes the tap only once it is gone). */
  vm?: ProcId;
  check?: CheckSummary;
  /**
   * Why a `detaching` record is left for gc: an attach whose rollback failed (what was not undone), a detach that
   * failed.
   */
  error?: string;
  at: string;
}

/**
 * The fields each kind adds, required (prepare and claim set them before the record is first
 * written; state-shape.ts refuses a record without them). A kind missing here fails to compile
 * (NicRecord indexes this by every Kind).
 */
export interface KindFields {
  /** nat0, the pool address (cidr form) and the gateway that comes with it. */
  default: { bridge: string; address: string; gateway: string };
  /** The Linux bridge (`nic.id`). */
  bridge: { bridge: string };
  /** The VLAN bridge and the tag. */
  vlan: { bridge: string; tag: number };
  /** The VXLAN bridge and the VNI. */
  vxlan: { bridge: string; vni: number };
  /** The parent link. */
  macvlan: { parent: string };
  /** The NIC as it was, to give it back so. */
  passthrough: { saved: SavedLink };
  /**
   * The NR's bridge `b-<netid>`, the workload's address in the NR's /24 (cidr form), and for a guest its gateway `.1`.
   */
  network: { bridge: string; address: string; gateway?: string };
  /** The ZeroTier member: home, port, node id. */
  zerotier: { zt: ZtMember };
  /**
   * br-int, the OVN logical port the host end is bound to (its Interface's `iface-id`) and the chassis it was made
   * on (`requested-chassis`; gc never touches another chassis's ports).
   */
  fleet: { bridge: string; lport: string; chassis: string };
}

/** Every field some kind adds. */
type AnyKindField = { [K in Kind]: keyof KindFields[K] }[Kind];
/** The fields of kind K, and those of the other kinds as absent (so any record can be read for them). */
type OnlyKind<K extends Kind> = KindFields[K] & { [F in Exclude<AnyKindField, keyof KindFields[K]>]?: undefined };

/** One attachment in the state file: a union by `nic.type`, each kind with its own fields. */
export type NicRecord = { [K in Kind]: RecordBase & { nic: NicSpec & { type: K } } & OnlyKind<K> }[Kind];

/** A record of kind K: its nic is of that kind and it has that kind's fields. */
export type RecordOf<K extends Kind> = Extract<NicRecord, { nic: { type: K } }>;

/** A record before its kind's prepare and claim: the kind's fields still being filled in. */
export type Draft<R extends NicRecord = NicRecord> = Omit<R, AnyKindField> &
  Partial<Pick<R, Extract<keyof R, AnyKindField>>>;

/** Narrows `rec` to kind `k` (TypeScript does not narrow a record by its nested `nic.type`). */
export const isKind = <K extends Kind>(rec: NicRecord, k: K): rec is RecordOf<K> => rec.nic.type === k;

/** Per-kind functions of a record, one for every kind (a kind missing fails to compile). */
export type ByKind<T> = { [K in Kind]: (r: RecordOf<K>) => T };

/**
 * One function over records from a table with an entry per kind, each typed on its kind's
 * record (TypeScript cannot narrow a record by `nic.type`; the table picks by it instead).
 */
export const byKind =
  <T>(table: ByKind<T>) =>
  (r: NicRecord): T =>
    (table[r.nic.type] as (r: NicRecord) => T)(r);

/** For the `default:` of a switch over kinds: a kind added to KINDS and not handled fails to compile. */
export { assertNever } from '../../lib/assert-never.ts';

/** The state file. */
export interface NicState {
  version: 1;
  nics: NicRecord[];
  host?: NsIdentity;
}

/** The settings the nic code uses (ovs-plugin/settings.ts reads them at start). */
export interface NicSettings {
  /** The state file (OVS_PLUGIN_STATE). */
  statePath: string;
  /** How long attach waits for a DHCP lease (OVS_PLUGIN_DHCP_WAIT_MS). */
  dhcpWaitMs: number;
  /** The NAT pool of default nics (OVS_PLUGIN_NAT_POOL). */
  natPool: Pool;
  /** zerotier-one's path (ZEROTIER_ONE; '': looked up on PATH). */
  zerotierOne: string;
  /** A planet file for a private ZeroTier deployment (ZEROTIER_PLANET; '': ZeroTier's own roots). */
  zerotierPlanet: string;
  /** How long a fleet nic's attach waits for `ovn-installed` (OVS_PLUGIN_PORT_UP_MS). */
  portUpMs: number;
}

/** What each kind gets: the OVSDB context of the command and the target's namespace. */
export interface KindCtx {
  ovs: Ctx;
  /** The target, or undefined when it is gone (or its pid now names another namespace). */
  target: NetnsRef | undefined;
}

/** One difference between the record and the system. */
export interface Drift {
  what: string;
  want?: unknown;
  got?: unknown;
  repairable: boolean;
}

/** A nic kind: as a CNI plugin, attach / detach / check, typed on its own record variant. */
export interface NicKind<R extends NicRecord = NicRecord> {
  /**
   * Reads the system to refuse what cannot work and fills the record's kind fields; changes
   * nothing. Runs before the state lock (its reads may be slow), so it never looks at records.
   */
  prepare(ctx: KindCtx, rec: Draft<R>): Promise<void>;
  /** Under the state lock, with no I/O: refuses what clashes with the other records and takes what they allocate. */
  claim?(rec: Draft<R>, all: readonly NicRecord[], ctx: KindCtx): void;
  /** True when the nic's MAC and MTU are the record's (so attach's answer needs no read-back). */
  resultKnown?: boolean;
  /** attach's answer, when the kind makes its own (zerotier: the node id and the network's status). */
  result?(ctx: KindCtx, rec: R): Promise<AttachResult>;
  /** What a guest's answer carries besides the common fields (tap.ts guestResult), from the record. */
  guestAnswer?(rec: R): Partial<GuestResult>;
  /** Makes the nic, registering each step's undo. */
  attach(ctx: KindCtx, rec: R, undo: UndoStack): Promise<void>;
  /** Removes whatever of it exists, from any partial state; what is gone is success. */
  detach(ctx: KindCtx, rec: R): Promise<{ returned?: boolean }>;
  /** The host-side differences (the inside ones are common). */
  check(ctx: KindCtx, rec: R): Promise<Drift[]>;
  /** Recreates the host side after drift (e.g. OVS restarted with a fresh database). */
  repair?(ctx: KindCtx, rec: R): Promise<void>;
}
