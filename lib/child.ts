// Long-running children (udhcpc, `ip monitor`): started with an argument array inside a
// NetnsRef (lib/netns.ts commandIn), stdout as lines, kill(), and one `exited` promise that
// never rejects and reports every end alike: exit status, signal, or could not start (an
// ExecError in `error` unless it exited 0). Children that outlive us (a nic's renewing udhcpc)
// start detached through spawnDetached. node:child_process directly, not execa: these are
// started per probe attempt on the agent's only thread, where execa's own work per child is
// more than the fork's (test/bench/spawn.ts measures both).
import { spawn } from 'node:child_process';
import { ExecError } from './errors.ts';
import { commandIn, netnsGoneOf, type NetnsRef } from './netns.ts';

/** How a child ended. */
export interface ChildExit {
  code: number | null;
  signal: string | null;
  /** stdout and stderr, each kept up to `maxBytes` (stdout only with `keepStdout`). */
  stdout: string;
  stderr: string;
  durationMs: number;
  /** Set unless it exited 0: NetnsGoneError, or ExecError saying how it ended. */
  error?: ExecError;
}

/** A running child. */
export interface Child {
  readonly command: string;
  readonly pid: number | undefined;
  /** Settles once the child has ended and its output is read; never rejects. */
  readonly exited: Promise<ChildExit>;
  /** SIGKILL (nsenter execs in place: this is the command itself). Idempotent. */
  kill(): void;
  /** Closes the child's stdin (with `stdin: 'pipe'`): children tied to us by it then stop. */
  closeStdin(): void;
}

/** Options of startChild. */
export interface ChildOptions {
  /** Called with each line of stdout, as it comes. */
  onLine?: (line: string) => void;
  /** Keep stdout for `exited` (default false: lines only). */
  keepStdout?: boolean;
  /** 'pipe' to tie the child to us through its stdin; default 'ignore'. */
  stdin?: 'pipe' | 'ignore';
  /** Kills the child when aborted. */
  signal?: AbortSignal;
  /** Cap of the kept stdout / stderr (default 64 KiB each). */
  maxBytes?: number;
}

/** Starts `cmd args` inside `ref`. */
export function startChild(ref: NetnsRef, cmd: string, args: readonly string[], opts: ChildOptions = {}): Child {
  const [file, argv] = commandIn(ref, cmd, args);
  const command = [file, ...argv].join(' ');
  const max = opts.maxBytes ?? 65536;
  const t0 = performance.now();
  const child = spawn(file, argv, { stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let partial = '';
  let spawnError: string | undefined;
  child.stdout!.on('data', (d: Buffer) => {
    const text = d.toString();
    if (opts.keepStdout && stdout.length < max) stdout += text;
    if (!opts.onLine) return;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) opts.onLine(l);
  });
  child.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < max) stderr += d.toString();
  });
  child.stdin?.on('error', () => {}); // the child may be gone before we close it
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  opts.signal?.addEventListener('abort', kill, { once: true });
  if (opts.signal?.aborted) kill();
  const exited = new Promise<ChildExit>((resolve) => {
    child.on('error', (err: NodeJS.ErrnoException) => {
      spawnError = err.code ?? err.message;
    });
    child.on('close', (status, signal) => {
      opts.signal?.removeEventListener('abort', kill);
      // A program that could not start closes with a negative errno as its "code": no exit status.
      const code = spawnError !== undefined ? null : status;
      if (partial && opts.onLine) opts.onLine(partial);
      const durationMs = Math.round(performance.now() - t0);
      const end: ChildExit = { code, signal, stdout, stderr, durationMs };
      if (code !== 0) {
        const f = {
          command,
          exitCode: code ?? undefined,
          signal: signal ?? undefined,
          durationMs,
          stderr,
          ...(spawnError !== undefined || (code === null && !signal) ? { spawnError: spawnError ?? 'unknown' } : {}),
        };
        end.error = netnsGoneOf(ref, { ...f, stdout }) ?? new ExecError(f);
      }
      resolve(end);
    });
  });
  return { command, pid: child.pid, exited, kill, closeStdin: () => child.stdin?.end() };
}

/** Options of spawnDetached. */
export interface DetachedOptions {
  /** Added to this process's environment. */
  env?: Record<string, string>;
}

/**
 * Starts `cmd args` inside `ref` detached from us (its own process group, no stdio, not waited
 * for), so it outlives this process. Resolves with its pid once it runs; a program that cannot
 * start rejects with ExecError EEXEC_SPAWN, as run() and startChild do.
 */
export function spawnDetached(
  ref: NetnsRef,
  cmd: string,
  args: readonly string[],
  opts: DetachedOptions = {},
): Promise<number> {
  const [file, argv] = commandIn(ref, cmd, args);
  const command = [file, ...argv].join(' ');
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, {
      detached: true,
      stdio: 'ignore',
      ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
    });
    // Kept for the child's life: an 'error' without a listener would throw in this process.
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        new ExecError(
          {
            command,
            durationMs: Math.round(performance.now() - t0),
            stderr: '',
            spawnError: err.code ?? err.message,
          },
          err,
        ),
      ),
    );
    child.once('spawn', () => {
      child.unref();
      resolve(child.pid!);
    });
  });
}
