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

// ---- Kernel layer: child processes, links, namespaces (lib/exec.ts, lib/ip.ts, lib/netns.ts).
// Classes only; the registry folds their codes in. Every one of them is an ExecError, so a
// caller that only cares that "the command failed" still catches one type.

/** How a child process ended, as ExecError carries it. */
export interface ExecFailure {
  command: string;
  /** Exit status; undefined when the child was killed or never ran. */
  exitCode?: number;
  /** The signal that killed it (SIGKILL after a timeout or an abort). */
  signal?: string;
  timedOut?: boolean;
  /** Milliseconds from spawn to the end. */
  durationMs?: number;
  stderr: string;
  /** Why it could not start (ENOENT, EACCES): set only then. */
  spawnError?: string;
  /** What ran out: the timeout (ms) when timedOut. */
  timeoutMs?: number;
}

/** Words for how a child ended: "exited 3", "killed by SIGKILL", "timed out after 100 ms", "could not run". */
function howItEnded(f: ExecFailure): string {
  if (f.timedOut) return `timed out after ${f.timeoutMs ?? f.durationMs} ms`;
  if (f.signal) return `killed by ${f.signal}`;
  if (f.exitCode !== undefined) return `exited ${f.exitCode}`;
  return `could not run${f.spawnError ? ` (${f.spawnError})` : ''}`;
}

/** A child process failed: names the command, its exit status or signal, and its stderr. */
export class ExecError extends AppError {
  readonly command: string;
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly timedOut: boolean;
  readonly durationMs: number | undefined;
  readonly stderr: string;
  constructor(f: ExecFailure, cause?: unknown, code = 'EEXEC') {
    const why = f.stderr.trim().split('\n').slice(-3).join(' | ');
    super(code, `${f.command}: ${howItEnded(f)}${why ? `: ${why}` : ''}`,
      { command: f.command, exitCode: f.exitCode, signal: f.signal, timedOut: !!f.timedOut, durationMs: f.durationMs, stderr: f.stderr }, cause);
    this.name = 'ExecError';
    this.command = f.command;
    this.exitCode = f.exitCode;
    this.signal = f.signal;
    this.timedOut = !!f.timedOut;
    this.durationMs = f.durationMs;
    this.stderr = f.stderr;
  }
}

/** `ip` (or `bridge`) failed for a reason not told apart below. Code EEXEC, as any failed command. */
export class IpError extends ExecError {
  constructor(f: ExecFailure, cause?: unknown, code = 'EEXEC') {
    super(f, cause, code);
    this.name = 'IpError';
  }
}

/** `ip` ran out of time and was killed (its stderr so far is kept). */
export class IpTimeoutError extends IpError {
  constructor(f: ExecFailure, cause?: unknown) {
    super(f, cause, 'EIPTIMEOUT');
    this.name = 'IpTimeoutError';
  }
}

/** The link named in the call does not exist (`Cannot find device`, `does not exist`). */
export class LinkNotFoundError extends IpError {
  /** The link the kernel named, when the message names one. */
  readonly link: string | undefined;
  constructor(f: ExecFailure, link?: string, cause?: unknown) {
    super(f, cause, 'ELINKNOTFOUND');
    this.name = 'LinkNotFoundError';
    this.link = link;
    if (link !== undefined) this.details.link = link;
  }
}

/** The network namespace the call names is gone (its file missing, `Invalid "netns" value`). */
export class NetnsGoneError extends IpError {
  /** The namespace as named in the call: a name, a path, or the target of a move. */
  readonly netns: string;
  constructor(f: ExecFailure, netns: string, cause?: unknown) {
    super(f, cause, 'ENETNSGONE');
    this.name = 'NetnsGoneError';
    this.netns = netns;
    this.details.netns = netns;
  }
}
// ---- end of the kernel layer's errors.

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
