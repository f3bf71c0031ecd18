// Child processes, always as an argument array (never a shell string), failing with ExecError.
// Long-running children (udhcpc, `ip monitor`) go through lib/child.ts instead. Both use
// node:child_process directly: execa's own work per child was about as much as the fork
// (test/bench/spawn.ts: ~6 ms of the agent's only thread per call against ~3 ms), and the agent
// runs ~30-150 of them per boot.
import { spawn } from 'node:child_process';
import { ExecError, type ExecFailure } from './errors.ts';

/** Options of one run. */
export interface RunOptions {
  /** Milliseconds before the child is killed (SIGKILL) and the run fails. */
  timeoutMs?: number;
  /** Text written to the child's stdin. */
  input?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Resolve with the result instead of throwing on a non-zero exit (never on a kill or timeout). */
  allowFailure?: boolean;
  /** Kills the child (SIGKILL) when aborted; the run then fails with ExecError. */
  signal?: AbortSignal;
  /**
   * Kills the child (SIGKILL) once its stdout and stderr pass this many bytes; the run then fails
   * with ExecError (a child whose output a hostile party shapes cannot fill our memory).
   */
  maxOutputBytes?: number;
}

/** What a run printed, and its exit status. */
export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** The failure of one run, for callers that classify it further (lib/ip.ts). */
export type RunFailure = ExecFailure & { stdout: string };

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: string;
  cause?: Error;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  canceled: boolean;
}

/** Runs the child to its end; never rejects. */
function runChild(cmd: string, args: readonly string[], opts: RunOptions): Promise<Ended> {
  return new Promise((resolve) => {
    let timedOut = false;
    let canceled = false;
    let spawnError: string | undefined;
    let cause: Error | undefined;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    let overflowed = false;
    if (opts.signal?.aborted) {
      resolve({
        code: null,
        signal: null,
        spawnError: 'aborted before start',
        stdout: '',
        stderr: '',
        timedOut,
        canceled: true,
      });
      return;
    }
    const child = spawn(cmd, [...args], {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
    });
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            kill();
          }, opts.timeoutMs);
    const onAbort = () => {
      canceled = true;
      kill();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError ??= e.code ?? e.message;
      cause ??= e;
    });
    const keep = (to: Buffer[]) => (d: Buffer) => {
      if (overflowed) return;
      bytes += d.length;
      if (opts.maxOutputBytes !== undefined && bytes > opts.maxOutputBytes) {
        overflowed = true;
        kill();
        return;
      }
      to.push(d);
    };
    child.stdout?.on('data', keep(out));
    child.stderr?.on('data', keep(err));
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on('error', () => {}); // a child that exits without reading
      child.stdin.end(opts.input);
    }
    child.on('close', (status, signal) => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({
        code: spawnError !== undefined ? null : status,
        signal,
        spawnError,
        cause,
        stdout: Buffer.concat(out).toString(),
        stderr:
          Buffer.concat(err).toString() +
          (overflowed ? `\nkilled: its output passed ${opts.maxOutputBytes} bytes` : ''),
        timedOut,
        canceled,
      });
    });
  });
}

/**
 * Runs `cmd args...` to completion; throws ExecError naming the command, how it ended (exit
 * status, signal, timeout, could not start), its stderr (kept on a timeout too) and the duration.
 * `classify` may turn a failure into a more precise ExecError (lib/ip.ts does).
 */
export async function run(
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
  classify?: (f: RunFailure, cause: unknown) => ExecError | undefined,
): Promise<RunResult> {
  const command = [cmd, ...args].join(' ');
  const t0 = performance.now();
  const r = await runChild(cmd, args, opts);
  const exitCode = r.code ?? undefined;
  const res = { stdout: r.stdout, stderr: r.stderr, exitCode: exitCode ?? -1 };
  if (
    (exitCode === 0 && !r.timedOut && !r.canceled) ||
    (opts.allowFailure && exitCode !== undefined && !r.timedOut && !r.canceled)
  )
    return res;
  const f: RunFailure = {
    command,
    exitCode,
    signal: r.signal ?? undefined,
    timedOut: r.timedOut,
    timeoutMs: opts.timeoutMs,
    durationMs: Math.round(performance.now() - t0),
    stderr: res.stderr,
    stdout: res.stdout,
    // Not started at all (ENOENT, EACCES): neither an exit status nor a signal.
    ...(exitCode === undefined && !r.signal && !r.timedOut ? { spawnError: r.spawnError ?? 'unknown' } : {}),
  };
  throw classify?.(f, r.cause) ?? new ExecError(f, r.cause);
}
