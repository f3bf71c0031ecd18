// What a command is: a validator for its JSON arguments and either a pure planner (cache view
// -> one transaction) or, for commands that also touch the kernel, a run function.
import type { Usage } from '../validate.ts';
import type { Ctx, Env, Planner } from '../planners/plan.ts';
import type { NicSettings } from '../nics/types.ts';

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
