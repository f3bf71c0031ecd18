// execa 9 cannot report a spawn that fails for lack of descriptors or processes: `spawn` returns
// a child without stdio, execa throws "subprocess.stdio is not iterable" (our `run` turns that
// into EEXEC_SPAWN, so the command gets an error reply), and the child's own 'error' event (spawn
// EMFILE) is emitted a tick later with no listener, which would kill the daemon. That event, and
// only that kind, is logged and dropped here; anything else still ends the process.
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
    log.error('ovs-plugin-crashed', { message: err instanceof Error ? err.stack ?? err.message : String(err) });
    process.exit(70);
  };
  process.on('uncaughtException', onError);
  return () => process.off('uncaughtException', onError);
}
