// Network namespaces, always named explicitly (never "wherever this process is"): a NetnsRef is this
// process's own namespace, a named one (/run/netns/NAME, as `ip netns` makes them), or any
// namespace file (`/proc/<pid>/ns/net`, a bind mount). Node cannot setns per thread, so a
// command runs in a namespace through `ip -n NAME` or `nsenter --net=PATH`: commandIn() is the
// one place that builds either.
import { readdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { isMissingPath, NetnsGoneError } from './errors.ts';
import { run, type RunFailure, type RunOptions, type RunResult } from './exec.ts';

const NETNS_DIR = '/run/netns';

/** Which network namespace a kernel call acts in. */
export type NetnsRef = { readonly self: true } | { readonly name: string } | { readonly path: string };

/** The namespace this process runs in. */
export const SELF: NetnsRef = Object.freeze({ self: true as const });

/** A named namespace (/run/netns/NAME). */
export const netnsNamed = (name: string): NetnsRef => ({ name });

/** A namespace by its file, e.g. `/proc/<pid>/ns/net`. */
export const netnsAt = (path: string): NetnsRef => ({ path });

/** True for this process's own namespace. */
export const isSelf = (ref: NetnsRef): ref is { self: true } => 'self' in ref;

/** Path of a named namespace, for `nsenter --net=PATH` and `ip link set ... netns`. */
export const netnsPath = (name: string): string => `${NETNS_DIR}/${name}`;

/** The namespace file of `ref` (this process's own: /proc/<pid>/ns/net). */
export function netnsFile(ref: NetnsRef): string {
  if ('self' in ref) return `/proc/${process.pid}/ns/net`;
  return 'name' in ref ? netnsPath(ref.name) : ref.path;
}

/** How `ref` is named in logs and errors: "self", the name, or the path. */
export function netnsLabel(ref: NetnsRef): string {
  return 'self' in ref ? 'self' : 'name' in ref ? ref.name : ref.path;
}

/**
 * What `ip link set DEV netns X` takes for `ref`: a name, a path, or (for this process's own
 * namespace) our pid, which resolves from inside any other namespace too.
 */
export function netnsTarget(ref: NetnsRef): string {
  return 'self' in ref ? String(process.pid) : 'name' in ref ? ref.name : ref.path;
}

// iproute2's own tools take `-n NAME` (a name only, not a path) and save nothing over nsenter
// but keep the argument list short; everything else goes through nsenter, which execs the
// command in place (no --fork), so killing the child kills the command.
const TAKES_DASH_N = new Set(['ip', 'bridge']);

/** The argument list that runs `cmd args` inside `ref`: the only place `-n`/`nsenter` is built. */
export function commandIn(ref: NetnsRef, cmd: string, args: readonly string[]): [string, string[]] {
  if ('self' in ref) return [cmd, [...args]];
  if ('name' in ref && TAKES_DASH_N.has(basename(cmd))) return [cmd, ['-n', ref.name, ...args]];
  return ['nsenter', [`--net=${netnsFile(ref)}`, '--', cmd, ...args]];
}

/** stderr that says the namespace the command was to run in is gone. */
const GONE = /^nsenter: cannot open .*: No such file or directory|Cannot open network namespace/m;

/** A NetnsGoneError when `f` failed because `ref` is gone (else undefined). */
export function netnsGoneOf(ref: NetnsRef, f: RunFailure, cause?: unknown): NetnsGoneError | undefined {
  return !('self' in ref) && GONE.test(f.stderr) ? new NetnsGoneError(f, netnsLabel(ref), cause) : undefined;
}

/**
 * Runs `cmd args` to completion inside `ref` (lib/exec.ts run); a namespace that is gone fails
 * with NetnsGoneError, any other failure with ExecError (or what `classify` makes of it).
 */
export function runIn(
  ref: NetnsRef,
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
  classify?: Parameters<typeof run>[3],
): Promise<RunResult> {
  const [file, argv] = commandIn(ref, cmd, args);
  return run(file, argv, opts, (f, cause) => netnsGoneOf(ref, f, cause) ?? classify?.(f, cause));
}

/** Names of the namespaces in /run/netns. */
export async function listNetns(): Promise<string[]> {
  try {
    return (await readdir(NETNS_DIR)).sort();
  } catch (err) {
    if (isMissingPath(err)) return [];
    throw err;
  }
}

/** Creates namespace `name` if it does not exist; idempotent (a concurrent creator is fine). */
export async function ensureNetns(name: string): Promise<void> {
  if ((await listNetns()).includes(name)) return;
  const r = await run('ip', ['netns', 'add', name], { allowFailure: true, timeoutMs: 15_000 });
  if (r.exitCode !== 0 && !(await listNetns()).includes(name)) {
    await run('ip', ['netns', 'add', name], { timeoutMs: 15_000 });
  }
}

/** Deletes namespace `name`; a namespace that is already gone is success. */
export async function deleteNetns(name: string): Promise<void> {
  if (!(await listNetns()).includes(name)) return;
  const r = await run('ip', ['netns', 'delete', name], { allowFailure: true, timeoutMs: 15_000 });
  if (r.exitCode !== 0 && (await listNetns()).includes(name))
    await run('ip', ['netns', 'delete', name], { timeoutMs: 15_000 });
}

/**
 * Creates or deletes (`verb`) several namespaces in one `ip -force -batch -` (one fork for all,
 * where each `ip netns` call is one); the ones still not as asked are then done one by one.
 * Names must be ip batch words (no blanks, no '#'): namespace names we make are.
 */
export async function netnsBatch(verb: 'add' | 'delete', names: string[]): Promise<void> {
  const todo = names.filter((n) => /^[A-Za-z0-9_.-]+$/.test(n));
  if (todo.length > 1)
    await run('ip', ['-force', '-batch', '-'], {
      input: todo.map((n) => `netns ${verb} ${n}\n`).join(''),
      allowFailure: true,
      timeoutMs: 15_000,
    });
  const have = new Set(await listNetns());
  for (const n of names) {
    if (verb === 'add' && !have.has(n)) await ensureNetns(n);
    if (verb === 'delete' && have.has(n)) await deleteNetns(n);
  }
}

/** Pids of the processes whose network namespace is `name` (none when it is gone). */
export async function netnsPids(name: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', name], { allowFailure: true, timeoutMs: 5000 });
  return r.stdout
    .split(/\s+/)
    .filter((p) => /^\d+$/.test(p))
    .map(Number);
}
