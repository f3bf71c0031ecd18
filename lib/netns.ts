// Named network namespaces (/run/netns/NAME, as `ip netns` makes them).
import { readdir } from 'node:fs/promises';
import { isMissingPath } from './errors.ts';
import { run } from './exec.ts';

export const NETNS_DIR = '/run/netns';

/** Path of a named namespace, for `nsenter --net=PATH` and `ip link set ... netns`. */
export const netnsPath = (name: string): string => `${NETNS_DIR}/${name}`;

/** Names of the namespaces in /run/netns. */
export async function listNetns(): Promise<string[]> {
  try {
    return (await readdir(NETNS_DIR)).sort();
  } catch (err) {
    if (isMissingPath(err)) return [];
    throw err;
  }
}

/** Creates namespace `name` if it does not exist; idempotent. */
export async function ensureNetns(name: string): Promise<void> {
  if ((await listNetns()).includes(name)) return;
  const r = await run('ip', ['netns', 'add', name], { allowFailure: true });
  if (r.exitCode !== 0 && !(await listNetns()).includes(name)) {
    await run('ip', ['netns', 'add', name]);
  }
}

/** Deletes namespace `name`; a namespace that is already gone is success. */
export async function deleteNetns(name: string): Promise<void> {
  if (!(await listNetns()).includes(name)) return;
  await run('ip', ['netns', 'delete', name], { allowFailure: true });
}

/** Runs a command inside namespace `name` (network namespace only; mounts stay the caller's). */
export function inNetns(name: string, cmd: string, args: readonly string[]): [string, string[]] {
  return ['nsenter', [`--net=${netnsPath(name)}`, '--', cmd, ...args]];
}
