// The daemon's gc of nics and network resources: once at start (what a crashed exec or daemon
// left is finished or undone before the first request), then every OVS_PLUGIN_GC_MS (default
// 60 s, 0 = never), and whenever the owner asks (the daemon: when OVSDB first comes up after a
// start without it). Each nic run takes its context from the owner, as nic.gc's would
// (contextFor). An NR that drifted or was cut short is repaired (or its delete finished); a
// healthy one is only read, so a restart over it changes nothing.
import { toAppError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import { gcNrs } from '../overlay/nr-check.ts';
import { netsPath } from '../overlay/nr-state.ts';
import type { Ctx } from '../planners/plan.ts';
import { gcNics } from './detach.ts';

/** A started gc: `run()` runs it now (joining a run in progress), `stop()` ends the timer. */
export interface NicGc {
  run(): Promise<void>;
  stop(): void;
}

/**
 * Runs nic and NR gc now and on a timer, each nic run in the context `ctx()` gives, the NRs from
 * `nets.json` beside `statePath`. Failures are logged, never thrown.
 */
export async function startNicGc(
  ctx: () => Promise<Ctx>,
  log: Logger,
  everyMs: number,
  statePath: string,
): Promise<NicGc> {
  let running: Promise<void> | undefined;
  const warn = (what: string) => (err: unknown) => {
    const e = toAppError(err);
    log.warn(what, { code: e.code, message: e.message });
  };
  const nics = async (): Promise<void> => {
    const r = await gcNics(await ctx());
    if (r.finished.length + r.undone.length + r.removed.length) log.info('nic-gc', { ...r });
  };
  const nets = async (): Promise<void> => {
    const r = await gcNrs(netsPath(statePath));
    if (r.repaired.length + r.deleted.length) log.info('net-gc', { ...r });
  };
  const run = () =>
    (running ??= nics()
      .catch(warn('nic-gc-failed'))
      .then(() => nets().catch(warn('net-gc-failed')))
      .finally(() => {
        running = undefined;
      }));
  await run();
  const timer = everyMs > 0 ? setInterval(() => void run(), everyMs) : undefined;
  timer?.unref();
  return {
    run,
    stop: () => {
      if (timer) clearInterval(timer);
    },
  };
}
