// Typed errors with stable codes, shared by both programs. Tests assert on `code`; context
// lives in fields, the original error in `cause` (STYLE.md point 9).

/** Base of every error we raise on purpose. `code` is stable and documented. */
export class AppError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(code: string, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
  /** JSON form used on the wire: `{code, message, ...details}`. */
  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...this.details };
  }
}

/** Bad input from outside (JSON argument, kernel command line, CLI flag, file). Names the field. */
export class ValidationError extends AppError {
  readonly field: string;
  constructor(field: string, message: string, details: Record<string, unknown> = {}) {
    super('EINVALID', `${field}: ${message}`, { field, ...details });
    this.name = 'ValidationError';
    this.field = field;
  }
}

/** A child process failed: names the command, its exit status and its stderr. */
export class ExecError extends AppError {
  constructor(readonly command: string, readonly exitCode: number | undefined, readonly stderr: string, cause?: unknown) {
    const how = exitCode === undefined ? 'could not run' : `exited ${exitCode}`;
    const why = stderr.trim().split('\n').slice(-3).join(' | ');
    super('EEXEC', `${command}: ${how}${why ? `: ${why}` : ''}`, { command, exitCode, stderr }, cause);
    this.name = 'ExecError';
  }
}

/** A wait ran out of time. */
export class TimeoutError extends AppError {
  constructor(what: string, ms: number) {
    super('ETIMEOUT', `${what}: no answer within ${ms} ms`, { what, ms });
    this.name = 'TimeoutError';
  }
}

/** Wraps anything thrown into an AppError, keeping AppErrors as they are. */
export function toAppError(err: unknown, code = 'EINTERNAL'): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AppError(code, message, {}, err);
}
