// Namespaces made for one test: random names, torn down by t.after. Never the machine's own.
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { run } from '../../lib/exec.ts';
import { ip } from '../../lib/ip.ts';
import { deleteNetns, ensureNetns, netnsNamed, runIn as runInNs } from '../../lib/netns.ts';

/** A random short name with `prefix` (<= 15 bytes so it can also serve as a link name). */
export function randomName(prefix: string): string {
  return `${prefix}${randomBytes(4).toString('hex')}`.slice(0, 15);
}

/** Creates a fresh namespace with `lo` up, deleted after the test. Returns its name. */
export async function makeNetns(t: Pick<TestContext, 'after'>, prefix = 'tn'): Promise<string> {
  const name = randomName(prefix);
  await ensureNetns(name);
  t.after(() => deleteNetns(name));
  await ip(netnsNamed(name), ['link', 'set', 'lo', 'up']);
  return name;
}

/** Runs `cmd args` inside namespace `ns`. */
export function runIn(ns: string, cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}) {
  return runInNs({ name: ns }, cmd, args, opts);
}

let vlanFilteringAnswer: Promise<boolean> | undefined;

/** Whether this kernel lets a bridge do VLAN filtering (Debian's does; this machine's refuses), asked once. */
export function kernelHasVlanFiltering(): Promise<boolean> {
  return (vlanFilteringAnswer ??= (async () => {
    const name = randomName('tq');
    await ensureNetns(name);
    try {
      const ref = netnsNamed(name);
      await ip(ref, ['link', 'add', 'name', 'br0', 'type', 'bridge']);
      return await ip(ref, ['link', 'set', 'dev', 'br0', 'type', 'bridge', 'vlan_filtering', '1']).then(
        () => true,
        () => false,
      );
    } finally {
      await deleteNetns(name);
    }
  })());
}
