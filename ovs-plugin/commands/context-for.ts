// Which context a command's arguments run in: the one rule of both transports (exec connects on
// demand, the daemon keeps one connection made in the background). A run command whose
// needsOvsdb says false gets a context without OVSDB; 'if-running' gets the engine's if OVSDB
// is reachable now and one without it otherwise; true (and every plan command) gets the
// engine's, waiting for the connection within the transport's bound (EOVSDB_CONN after it).
// Local commands never ask for a context (dispatch).
import { envOf, type Settings } from '../settings.ts';
import { withoutOvsdb } from '../nics/ovs-need.ts';
import type { Ctx } from '../planners/plan.ts';
import { dispatch } from './registry.ts';
import type { Command, OvsdbNeed } from './types.ts';

/** Where a transport gets a context with OVSDB from. */
export interface OvsdbSource {
  /** The engine's context if OVSDB is reachable now (exec: after a short try); undefined if not. */
  ifRunning(): Promise<Ctx | undefined>;
  /** The engine's context, waiting for the connection within the transport's bound; EOVSDB_CONN after it. */
  required(): Promise<Ctx>;
}

/**
 * Whether `args` of `command` need OVSDB: a run command says (needsOvsdb, default true); a plan command always does.
 */
export async function ovsdbNeedOf<A>(command: Command<A, unknown>, args: A, s: Settings): Promise<OvsdbNeed> {
  return command.mode === 'run' && command.needsOvsdb ? command.needsOvsdb(args, s) : true;
}

/** The context `args` of `command` run in, from `source` as their need says (see the header). */
export async function contextFor<A>(
  command: Command<A, unknown>,
  args: A,
  s: Settings,
  source: OvsdbSource,
): Promise<Ctx> {
  const need = await ovsdbNeedOf(command, args, s);
  if (need === false) return withoutOvsdb(envOf(s), s);
  if (need === 'if-running') return (await source.ifRunning()) ?? withoutOvsdb(envOf(s), s);
  return source.required();
}

/** Runs validated `args` of `command` through the one dispatch, its context (if it asks for one) from `source`. */
export function runWith<A, R>(command: Command<A, R>, args: A, s: Settings, source: OvsdbSource): Promise<R> {
  return dispatch(command, args, () => contextFor(command as Command<A, unknown>, args, s, source), s);
}
