// Undo on failure (as CNI's host-device plugin does): each step that changes the system
// pushes its undo as soon as it has happened; on failure the undos run in reverse. A failed
// undo is logged (stderr when the caller gives no logger), never thrown over the error that
// caused the rollback, and rollback() answers which undos failed: what they were to undo is
// still there, for a caller that keeps state to record it.
import { stderrLogger, type Logger } from './log.ts';

interface Step {
  what: string;
  fn: () => Promise<unknown> | unknown;
}

/** One undo that failed: its name (as pushed) and why. */
export interface UndoFailure {
  what: string;
  error: string;
}

/** Undo steps of one operation, run in reverse by rollback(). */
export class UndoStack {
  private steps: Step[] = [];
  private readonly log: Logger;

  constructor(log?: Logger) {
    this.log = log ?? stderrLogger();
  }

  /** Registers the undo of a step that has just happened; `what` names it in the log. */
  push(what: string, fn: () => Promise<unknown> | unknown): void {
    this.steps.push({ what, fn });
  }

  /** How many undos are registered. */
  get size(): number {
    return this.steps.length;
  }

  /**
   * Runs every undo, last first; a failing one is logged (`undo-failed`) and the rest still run.
   * Answers the failed ones ([]: the rollback was clean, nothing of the operation is left).
   */
  async rollback(): Promise<UndoFailure[]> {
    const steps = this.steps.reverse();
    this.steps = [];
    const failed: UndoFailure[] = [];
    for (const s of steps) {
      try {
        await s.fn();
      } catch (err) {
        // any failure: logged, and the remaining undos still run (best effort)
        const f = { what: s.what, error: err instanceof Error ? err.message : String(err) };
        this.log.warn('undo-failed', { step: f.what, error: f.error });
        failed.push(f);
      }
    }
    return failed;
  }

  /** Forgets every undo: the operation succeeded and what it did stays. */
  commit(): void {
    this.steps = [];
  }
}

/**
 * Runs `fn` with a fresh UndoStack: on success its steps are kept, on failure they are undone
 * in reverse and the original error is rethrown (for a caller that keeps state of the
 * operation and must know what a partial rollback left: UndoStack and the rollback's answer).
 */
export async function withUndo<T>(log: Logger | undefined, fn: (undo: UndoStack) => Promise<T>): Promise<T> {
  const undo = new UndoStack(log);
  try {
    const r = await fn(undo);
    undo.commit();
    return r;
  } catch (err) {
    await undo.rollback();
    throw err;
  }
}
