// What a command is: a validator for its JSON arguments and either a pure planner (cache view
// -> one transaction) or, for commands that also touch the kernel, a run function.
import type { Operation } from '../ovsdb/types.ts';
import type { OvsdbClient } from '../ovsdb/types.ts';
import type { Usage } from '../validate.ts';
import type { View } from './view.ts';
import type { NicSettings } from '../nics/types.ts';

/** Settings of one plugin process (from OVS_DATAPATH etc.). */
export interface Env {
  /** datapath_type of the bridges we create: `system` (kernel module) or `netdev` (userspace). */
  datapathType: string;
  /**
   * How vlan-ensure makes a NEW VLAN (OVS_VLAN_LAYOUT): `fake` (default), a fake bridge on the
   * master; `patch`, v1's bridge per VLAN with a patch pair. Existing VLANs of either layout
   * are used as they are.
   */
  vlanLayout?: VlanLayout;
}

/** The two VLAN layouts (fake-bridge.ts, vlan.ts). */
export type VlanLayout = 'fake' | 'patch';

/** One command's transaction: operations, the result to answer once it commits, and names it touches. */
export interface Plan<R> {
  ops: Operation[];
  result: R;
  /** Names (`Bridge:x`, `Port:y`) the plan creates, changes or deletes. */
  claims: string[];
  /** Names whose existence the plan relies on; a batch never holds a plan claiming one of them. */
  reads?: string[];
}

/** Builds a plan from a cache view; `p` prefixes every uuid-name so plans can share a transaction. */
export type Planner<R> = (view: View, p: string) => Plan<R>;

/** What a command's run function gets. */
export interface Ctx {
  client: OvsdbClient;
  env: Env;
  /** The nic code's settings (state file, DHCP wait, NAT pool). */
  nics: NicSettings;
  /** Plans against the current cache, commits, re-plans on a lost race; resolves with the plan's result. */
  commit<R>(planner: Planner<R>): Promise<R>;
}

/**
 * A registered `ovs.<name>` command: `A` is its validated (parsed) arguments, `R` its result.
 * Methods, not function properties, so any command is a `Command` (unknown, unknown) in the
 * registry without `any`.
 */
export interface Command<A = unknown, R = unknown> {
  /** Summary, arguments and example (for --help); `validate` accepts exactly `usage.args`. */
  readonly usage: Usage;
  validate(raw: unknown): A;
  /** Pure: the transaction for `args` (commands that only touch OVSDB; these can be batched). */
  plan?(args: A, env: Env): Planner<R>;
  /** Commands with kernel steps (vxlan, vtep) run here instead, using ctx.commit for OVSDB. */
  run?(args: A, ctx: Ctx): Promise<R>;
  /** Commands that never need OVSDB (nic.list): exec runs them without connecting. */
  local?(args: A, nics: NicSettings): Promise<R>;
  /**
   * For `run` commands: false when these arguments need no OVSDB (exec then runs without
   * connecting); 'if-running' when they use it only to read, if Open vSwitch runs.
   */
  needsOvsdb?(args: A, nics: NicSettings): OvsdbNeed | Promise<OvsdbNeed>;
}

/** Whether a command's arguments need OVSDB (Command.needsOvsdb). */
export type OvsdbNeed = boolean | 'if-running';

/** True when the operations change something (anything beyond wait/comment). */
export const mutates = (ops: Operation[]): boolean => ops.some((o) => o.op !== 'wait' && o.op !== 'comment');
