// The real zinit v0.2.14 for end-to-end tests: `$ZINIT`, default ../shared/zinit/zinit beside the
// repository (a build/test input, never committed; missing, the test fails: it does not skip).
// It runs as PID 1 of a pid namespace of the test's own, inside the test's network namespace:
//   nsenter --net=NS -- unshare --pid --fork --kill-child --mount-proc ZINIT -s SOCK init -c DIR --container
// Its config dir and socket are the test's; `--container` keeps it from powering anything off;
// its private mount namespace gets /dev/null over /dev/kmsg, so it does not write the machine's
// kernel log, and a sysfs of the test's network namespace. Killing it (t.after) ends the pid
// namespace and everything zinit spawned.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { run } from '../../lib/exec.ts';
import { commandIn } from '../../lib/netns.ts';
import { ZinitClient, type ServiceStatus } from '../../zinit/client.ts';

/** The zinit binary under test. */
export const ZINIT = resolve(process.env.ZINIT || resolve(import.meta.dirname, '../../../shared/zinit/zinit'));

/** A running zinit and a client of its socket. */
export interface RealZinit {
  path: string;
  dir: string;
  proc: ChildProcess;
  client: ZinitClient;
  /** What zinit and its `log: stdout` services printed so far. */
  output(): string;
  /** Runs the zinit CLI against this socket (e.g. `kill dhcp-zos SIGUSR1`). */
  cli(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** Fails (never skips) when the binary is missing, naming where it was looked for. */
export async function requireZinit(): Promise<string> {
  try {
    await access(ZINIT, constants.X_OK);
  } catch {
    throw new Error(
      `zinit v0.2.14 not found at ${ZINIT}: set $ZINIT or put it at ../shared/zinit/zinit (see its README)`,
    );
  }
  return ZINIT;
}

/**
 * Starts zinit in `ns` with config dir `dir` (created) and socket `<dir>/../zinit.sock`; `waitSocket`: until it
 * answers.
 */
export async function startRealZinit(
  t: Pick<TestContext, 'after'>,
  o: { ns: string; dir: string; socket?: string; waitSocket?: boolean },
): Promise<RealZinit> {
  const bin = await requireZinit();
  await mkdir(o.dir, { recursive: true });
  const path = o.socket ?? join(o.dir, '..', `zinit-${Math.random().toString(36).slice(2, 8)}.sock`);
  // sh only to mount inside zinit's own mount namespace, then exec it as PID 1 (fixed text;
  // arguments as $@): /dev/null over /dev/kmsg, and a sysfs of the test's network namespace (as
  // on a node, where /sys/class/net shows zinit's own links).
  const proc = spawn(
    ...commandIn({ name: o.ns }, 'unshare', [
      '--pid',
      '--fork',
      '--kill-child',
      '--mount-proc',
      'sh',
      '-c',
      'mount --bind /dev/null /dev/kmsg && mount -t sysfs sysfs /sys && exec "$0" "$@"',
      bin,
      '-s',
      path,
      'init',
      '-c',
      o.dir,
      '--container',
    ]),
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
  };
  t.after(stop);
  const z: RealZinit = {
    path,
    dir: o.dir,
    proc,
    client: new ZinitClient(path),
    output: () => out,
    stop,
    cli: async (args) => (await run(bin, ['-s', path, ...args])).stdout,
  };
  if (o.waitSocket !== false) {
    const end = Date.now() + 10_000;
    for (;;) {
      try {
        await new ZinitClient(path, 1000).list();
        break;
      } catch (err) {
        if (Date.now() > end || proc.exitCode !== null)
          throw new Error(`zinit did not serve ${path}: ${String(err)}\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
  return z;
}

/** Polls `status name` until `ok(status)` holds or `ms` pass; returns the last status. */
export async function waitStatus(
  z: RealZinit,
  name: string,
  ok: (s: ServiceStatus | null) => boolean,
  ms: number,
): Promise<ServiceStatus | null> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await z.client.status(name);
    if (ok(s) || Date.now() > end) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
}
