// What a plan is: the transaction a planner builds from a cache view, and the context that
// commits it (shared by the commands and the nic kinds, which both stand on the planners).
import type { Logger } from '../../lib/log.ts';
import type { NicSettings } from '../nics/types.ts';
import type { Operation } from '../ovsdb/types.ts';
import type { OvsdbClient } from '../ovsdb/types.ts';
import type { View } from './view.ts';

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

/** Builds a plan from a cache view; `prefix` starts every uuid-name so plans can share a transaction. */
export type Planner<R> = (view: View, prefix: string) => Plan<R>;

/** What a command's run function and a nic kind get: the client, the settings, and a committer. */
export interface Ctx {
  client: OvsdbClient;
  env: Env;
  /** The nic code's settings (state file, DHCP wait, NAT pool). */
  nics: NicSettings;
  /** Plans against the current cache, commits, re-plans on a lost race; resolves with the plan's result. */
  commit<R>(planner: Planner<R>): Promise<R>;
  /** Where the command logs what it cannot answer (a failed undo): the daemon's log; stderr when absent (exec). */
  log?: Logger;
}

/** True when the operations change something (anything beyond wait/comment). */
export const mutates = (ops: Operation[]): boolean => ops.some((o) => o.op !== 'wait' && o.op !== 'comment');
