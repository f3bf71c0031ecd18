// The daemon's nic gc: once at start (what a crashed exec or daemon left is finished or
// undone before the first request), then every OVS_PLUGIN_GC_MS (default 60 s, 0 = never),
// and whenever the owner asks (the daemon: when OVSDB first comes up after a start without it).
// Each run takes its context from the owner, as nic.gc's would (contextFor).
import { toAppError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import type { Ctx } from '../planners/plan.ts';
import { gcNics } from './detach.ts';

/** A started gc: `run()` runs it now (joining a run in progress), `stop()` ends the timer. */
export interface NicGc { run(): Promise<void>; stop(): void }

/** Runs nic gc now and on a timer, each run in the context `ctx()` gives. Failures are logged, never thrown. */
export async function startNicGc(ctx: () => Promise<Ctx>, log: Logger, everyMs: number): Promise<NicGc> {
  let running: Promise<void> | undefined;
  const once = async (): Promise<void> => {
    const r = await gcNics(await ctx());
    if (r.finished.length + r.undone.length + r.removed.length) log.info('nic-gc', { ...r });
  };
  const run = () => running ??= once().catch((err) => { const e = toAppError(err); log.warn('nic-gc-failed', { code: e.code, message: e.message }); })
    .finally(() => { running = undefined; });
  await run();
  const timer = everyMs > 0 ? setInterval(() => void run(), everyMs) : undefined;
  timer?.unref();
  return { run, stop: () => { if (timer) clearInterval(timer); } };
}
