// Crash and failure tests: OVS_PLUGIN_FAILPOINT is a comma-separated list of points. A step name
// (`attach:veth`, `detach:port`, ...): when the process reaches it, it SIGKILLs itself, as a
// power cut or an OOM kill would; `throw:<step>` makes that step fail instead (an error, as a
// failing kernel call would); `write:N:ENOSPC` fails the Nth state write; `undo:<prefix>` makes
// every undo whose name starts with <prefix> (`delete veth`, `remove port`) fail without undoing
// anything. Unset: a no-op.
import type { Logger } from '../../lib/log.ts';
import { UndoStack } from '../../lib/undo.ts';

/** Every step name this process passed, in order (tests list them to kill at each one). */
export const passed: string[] = [];

const t0 = performance.now();

/** This process's hooks (settings.ts sets them at start from OVS_PLUGIN_TRACE and OVS_PLUGIN_FAILPOINT). */
let hooks: { trace: boolean; failpoint: string } = { trace: false, failpoint: '' };

/** Sets the hooks for the rest of this process. */
export function setFailpoints(h: { trace: boolean; failpoint: string }): void {
  hooks = { ...h };
}

/** The points OVS_PLUGIN_FAILPOINT names (comma-separated). */
const points = (): string[] => hooks.failpoint.split(',').filter(Boolean);

/** An error injected by OVS_PLUGIN_FAILPOINT at `what`. */
const injected = (what: string): Error => new Error(`${what}: injected by OVS_PLUGIN_FAILPOINT`);

/**
 * Kills this process with SIGKILL if OVS_PLUGIN_FAILPOINT names `step`, throws if it names
 * `throw:<step>`; OVS_PLUGIN_TRACE=1 prints each step's time to stderr.
 */
export function failpoint(step: string): void {
  passed.push(step);
  if (hooks.trace) process.stderr.write(`${step} ${(performance.now() - t0).toFixed(1)}\n`);
  const p = points();
  if (p.includes(step)) process.kill(process.pid, 'SIGKILL');
  if (p.includes(`throw:${step}`)) throw injected(step);
}

/**
 * A point of the trace only (OVS_PLUGIN_TRACE=1 prints it as failpoint does), never a point to
 * kill at: where a request's time goes before and after its failpoint steps.
 */
export function trace(point: string): void {
  if (hooks.trace) process.stderr.write(`${point} ${(performance.now() - t0).toFixed(1)}\n`);
}

let writes = 0;

/**
 * Counts this process's state writes; OVS_PLUGIN_FAILPOINT=`write:N:ENOSPC` makes the Nth fail
 * with ENOSPC, as a full file system would (crash tests of a write that did not happen).
 */
export function writeFault(): void {
  writes++;
  for (const p of points()) {
    const m = /^write:(\d+):(E[A-Z]+)$/.exec(p);
    if (m && Number(m[1]) === writes)
      throw Object.assign(new Error(`${m[2]}: injected by OVS_PLUGIN_FAILPOINT`), { code: m[2] });
  }
}

/** An UndoStack whose undos named by `undo:<prefix>` points fail (tests of a partial rollback). */
class FaultyUndo extends UndoStack {
  constructor(
    log: Logger,
    private readonly prefixes: string[],
  ) {
    super(log);
  }

  override push(what: string, fn: () => Promise<unknown> | unknown): void {
    super.push(
      what,
      this.prefixes.some((p) => what.startsWith(p))
        ? () => {
            throw injected(`undo ${what}`);
          }
        : fn,
    );
  }
}

/** A fresh UndoStack logging to `log`; with `undo:<prefix>` points, one whose named undos fail. */
export function undoStack(log: Logger): UndoStack {
  const prefixes = points()
    .filter((p) => p.startsWith('undo:'))
    .map((p) => p.slice('undo:'.length));
  return prefixes.length ? new FaultyUndo(log, prefixes) : new UndoStack(log);
}
