// What a command is: a validator for its JSON arguments and one of three ways to run, told by
// `mode`: a pure planner (cache view -> one transaction), a run function for commands that also
// touch the kernel, or a local function for commands that never need OVSDB.
import type { Usage } from '../validate.ts';
import type { Ctx, Env, Planner } from '../planners/plan.ts';
import type { NicSettings } from '../nics/types.ts';

/** What every command has: `A` is its validated (parsed) arguments. */
interface CommandBase<A> {
  /** Summary, arguments and example (for --help), from the command's declaration in wire.ts (usageOf). */
  readonly usage: Usage;
  validate(raw: unknown): A;
}

/** A command that only touches OVSDB: the transaction for `args` (pure; these can be batched). */
export interface PlanCommand<A = unknown, R = unknown> extends CommandBase<A> {
  readonly mode: 'plan';
  plan(args: A, env: Env): Planner<R>;
}

/** A command with kernel steps (vxlan, vtep, nic.*): it runs, using ctx.commit for OVSDB. */
export interface RunCommand<A = unknown, R = unknown> extends CommandBase<A> {
  readonly mode: 'run';
  run(args: A, ctx: Ctx): Promise<R>;
  /**
   * False when these arguments need no OVSDB (exec then runs without connecting); 'if-running'
   * when they use it only to read, if Open vSwitch runs. Absent: true.
   */
  needsOvsdb?(args: A, nics: NicSettings): OvsdbNeed | Promise<OvsdbNeed>;
}

/** A command that never needs OVSDB (nic.list): exec runs it without connecting. */
export interface LocalCommand<A = unknown, R = unknown> extends CommandBase<A> {
  readonly mode: 'local';
  local(args: A, nics: NicSettings): Promise<R>;
}

/**
 * A registered command: `A` is its validated arguments, `R` its result. Methods, not function
 * properties, so any command is a `Command` (unknown, unknown) in the registry without `any`.
 */
export type Command<A = unknown, R = unknown> = PlanCommand<A, R> | RunCommand<A, R> | LocalCommand<A, R>;

/** Whether a command's arguments need OVSDB (RunCommand.needsOvsdb). */
export type OvsdbNeed = boolean | 'if-running';
