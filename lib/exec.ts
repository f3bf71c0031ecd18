// Child processes, always as an argument array (never a shell string), failing with ExecError.
// Long-running children (udhcpc, `ip monitor`) go through lib/child.ts instead.
import { execa } from 'execa';
import { ExecError, type ExecFailure } from './errors.ts';

/** Options of one run. */
export interface RunOptions {
  /** Milliseconds before the child is killed (SIGKILL) and the run fails. */
  timeoutMs?: number;
  /** Text written to the child's stdin. */
  input?: string;
  env?: Record<string, string>;
  /** Resolve with the result instead of throwing on a non-zero exit (never on a kill or timeout). */
  allowFailure?: boolean;
  /** Kills the child (SIGKILL) when aborted; the run then fails with ExecError. */
  signal?: AbortSignal;
}

/** What a run printed, and its exit status. */
export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** The failure of one run, for callers that classify it further (lib/ip.ts). */
export type RunFailure = ExecFailure & { stdout: string };

/**
 * Runs `cmd args...` to completion; throws ExecError naming the command, how it ended (exit
 * status, signal, timeout, could not start), its stderr (kept on a timeout too) and the duration.
 * `classify` may turn a failure into a more precise ExecError (lib/ip.ts does).
 */
export async function run(cmd: string, args: readonly string[], opts: RunOptions = {},
  classify?: (f: RunFailure, cause: unknown) => ExecError | undefined): Promise<RunResult> {
  const command = [cmd, ...args].join(' ');
  const t0 = performance.now();
  let r;
  try {
    r = await execa(cmd, args, {
      reject: false,
      timeout: opts.timeoutMs,
      killSignal: 'SIGKILL',
      input: opts.input,
      env: opts.env,
      stdin: opts.input === undefined ? 'ignore' : 'pipe',
      stripFinalNewline: false,
      ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    });
  } catch (err) {
    // execa rejects only on bad options; report it as a child that could not run.
    const spawnError = err instanceof Error ? err.message : String(err);
    throw new ExecError({ command, stderr: '', spawnError, durationMs: Math.round(performance.now() - t0) }, err);
  }
  const exitCode = typeof r.exitCode === 'number' ? r.exitCode : undefined;
  const res = { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: exitCode ?? -1 };
  if (!r.failed || (opts.allowFailure && exitCode !== undefined)) return res;
  const f: RunFailure = {
    command, exitCode, signal: r.signal ?? undefined, timedOut: r.timedOut, timeoutMs: opts.timeoutMs,
    durationMs: Math.round(r.durationMs ?? performance.now() - t0), stderr: res.stderr, stdout: res.stdout,
    // Not started at all (ENOENT, EACCES): neither an exit status nor a signal.
    ...(exitCode === undefined && !r.signal && !r.timedOut ? { spawnError: r.code ?? (r.isCanceled ? 'aborted before start' : r.shortMessage) } : {}),
  };
  throw classify?.(f, r.cause) ?? new ExecError(f, r.cause);
}
