// The daemon's gc of nics and network resources: once at start (what a crashed exec or daemon
// left is finished or undone before the first request) and then every OVS_PLUGIN_GC_MS (default
// 60 s, 0 = never). An NR that drifted or was cut short is repaired (or its delete finished); a
// healthy one is only read, so a restart over it changes nothing.
import { toAppError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import type { Ctx } from '../planners/plan.ts';
import { gcNrs } from '../overlay/nr-check.ts';
import { netsPath } from '../overlay/nr-state.ts';
import { gcNics } from './detach.ts';

/** Runs nic gc now and on a timer; returns the stop function. Failures are logged, never thrown. */
export async function startNicGc(ctx: Ctx, log: Logger, everyMs: number): Promise<() => void> {
  let running: Promise<void> | undefined;
  const nics = () =>
    gcNics(ctx).then(
      (r) => {
        if (r.finished.length + r.undone.length + r.removed.length) log.info('nic-gc', { ...r });
      },
      (err) => {
        const e = toAppError(err);
        log.warn('nic-gc-failed', { code: e.code, message: e.message });
      },
    );
  const nets = () =>
    gcNrs(netsPath(ctx.nics.statePath)).then(
      (r) => {
        if (r.repaired.length + r.deleted.length) log.info('net-gc', { ...r });
      },
      (err) => {
        const e = toAppError(err);
        log.warn('net-gc-failed', { code: e.code, message: e.message });
      },
    );
  const once = () =>
    (running ??= nics()
      .then(nets)
      .finally(() => {
        running = undefined;
      }));
  await once();
  const timer = everyMs > 0 ? setInterval(() => void once(), everyMs) : undefined;
  timer?.unref();
  return () => {
    if (timer) clearInterval(timer);
  };
}
