// Child processes, always as an argument array (never a shell string), failing with ExecError.
import { execa } from 'execa';
import { ExecError } from './errors.ts';

export interface RunOptions {
  /** Milliseconds before the child is killed (SIGKILL) and the run fails. */
  timeoutMs?: number;
  /** Text written to the child's stdin. */
  input?: string;
  env?: Record<string, string>;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  /** Kills the child (SIGKILL) when aborted; the run then fails with ExecError. */
  signal?: AbortSignal;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs `cmd args...` to completion; throws ExecError naming the command, status and stderr. */
export async function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const command = [cmd, ...args].join(' ');
  try {
    const r = await execa(cmd, args, {
      reject: false,
      timeout: opts.timeoutMs,
      killSignal: 'SIGKILL',
      input: opts.input,
      env: opts.env,
      stdin: opts.input === undefined ? 'ignore' : 'pipe',
      stripFinalNewline: false,
      ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    });
    const exitCode = typeof r.exitCode === 'number' ? r.exitCode : -1;
    const res = { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode };
    if (r.failed && !(opts.allowFailure && typeof r.exitCode === 'number')) {
      const spawnError = r.exitCode === undefined && r.signal === undefined && !r.timedOut ? r.code ?? r.shortMessage : undefined;
      throw new ExecError({ command, exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, timeoutMs: opts.timeoutMs, spawnError,
        durationMs: r.durationMs, stderr: res.stderr });
    }
    return res;
  } catch (err) {
    if (err instanceof ExecError) throw err;
    throw new ExecError({ command, stderr: '', spawnError: err instanceof Error ? err.message : String(err) }, err);
  }
}
