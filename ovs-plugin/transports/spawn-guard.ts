// A spawn that fails for lack of descriptors or processes is reported by the child's 'error'
// event (spawn EMFILE / EAGAIN). lib/exec and lib/child listen for it and fail the call with
// EEXEC_SPAWN; a spawn anywhere else without that listener (a library's) would kill the daemon
// with it. That event, and only that kind, is logged and dropped here; anything else still ends
// the process.
import { isOutOfResources } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';

/** True for the orphaned 'error' event of a child that could not be spawned. */
export function isOrphanSpawnError(err: unknown): boolean {
  const e = err as { code?: unknown; syscall?: unknown } | null;
  return !!e && typeof e.syscall === 'string' && e.syscall.startsWith('spawn') && isOutOfResources(err);
}

/** Installs the guard; returns the function that removes it. */
export function guardSpawnErrors(log: Logger): () => void {
  const onError = (err: unknown) => {
    if (isOrphanSpawnError(err)) {
      const e = err as { code: string; syscall: string };
      log.warn('ovs-spawn-failed', { code: e.code, syscall: e.syscall });
      return;
    }
    log.error('ovs-plugin-crashed', { message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exit(70);
  };
  process.on('uncaughtException', onError);
  return () => process.off('uncaughtException', onError);
}
