// Keeps the NAT's nft tables (nat-rules.ts) equal to the state file's default nics and the
// host's uplinks. Written under a lock of their own (`<state>.nat.lock`, not the state lock:
// nft and ip are child processes, and nothing slow runs under the node-wide state lock) from the
// records read once it is held (the file is replaced atomically, so a read without the state
// lock sees one whole generation): concurrent attaches and detaches each write a script holding
// every nic recorded at that moment, and the last writer's includes the others'. After each write the fingerprint of
// what was written
// (the script) and of what the kernel then lists (`nft -j list ruleset`, our tables, handles
// left out) is kept beside the state file (`<state>.nat`): check compares both with now, so a
// table deleted or edited behind our back, or rules older than the records or the default
// routes, are drift that repair (and gc) rewrite.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isMissingPath } from '../../lib/errors.ts';
import { writeFileAtomic } from '../../lib/atomic-file.ts';
import { run } from '../../lib/exec.ts';
import { ipv4Uplinks } from '../../lib/rtnl.ts';
import { SELF } from '../../lib/netns.ts';
import { NAT_BRIDGE, poolNet, type Pool } from './nat.ts';
import { NAT_TABLE, natGuards, natRuleset } from './nat-rules.ts';
import { withLock } from './lock.ts';
import { readState } from './state.ts';
import type { Drift, NicState } from './types.ts';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const sumFile = (path: string): string => `${path}.nat`;

/** The uplinks: the links of the main table's IPv4 default routes, sorted. */
async function uplinks(): Promise<string[]> {
  return (await ipv4Uplinks(SELF)).filter((d) => d !== NAT_BRIDGE);
}

/** The script the records of `s` and the current uplinks call for. */
async function wanted(s: NicState, pool: Pool, without?: string): Promise<string> {
  return natRuleset({ ...pool, net: poolNet(pool) }, NAT_BRIDGE, natGuards(s.nics, without), await uplinks());
}

/** The fingerprint of our tables as the kernel lists them now; undefined when one is missing. */
async function listed(): Promise<string | undefined> {
  const r = await run('nft', ['-j', 'list', 'ruleset'], { timeoutMs: 10_000 });
  const items = (
    JSON.parse(r.stdout) as {
      nftables: Record<string, { family?: string; table?: string; name?: string; handle?: number }>[];
    }
  ).nftables;
  const ours = items
    .flatMap((o) => Object.entries(o))
    .filter(
      ([k, v]) =>
        k !== 'metainfo' && (k === 'table' ? v.name : v.table) === NAT_TABLE && ['ip', 'bridge'].includes(v.family!),
    );
  if (ours.filter(([k]) => k === 'table').length !== 2) return undefined;
  return sha(JSON.stringify(ours, (k, v) => (k === 'handle' ? undefined : v)));
}

interface Sums {
  script: string;
  listing: string;
}

/** Runs `fn` on the state file's records under the NAT's own lock. */
const withNatLock = <T>(path: string, fn: (s: NicState) => Promise<T>): Promise<T> =>
  withLock(`${path}.nat.lock`, async () => fn(await readState(path)));

/** Rewrites both tables from the state file's records (but `without`'s) and the uplinks, under the NAT's lock. */
export async function syncNatRules(path: string, pool: Pool, opts: { without?: string } = {}): Promise<void> {
  await withNatLock(path, async (s) => {
    const script = await wanted(s, pool, opts.without);
    await run('nft', ['-f', '-'], { timeoutMs: 10_000, input: script });
    const sums: Sums = { script: sha(script), listing: (await listed()) ?? '' };
    await writeFileAtomic(sumFile(path), JSON.stringify(sums) + '\n', 0o600, { sync: false });
  });
}

/** `nat-rules` drift: a table missing, changed since we wrote it, or not what the records and uplinks call for. */
export async function natRulesDrift(path: string, pool: Pool): Promise<Drift[]> {
  return withNatLock(path, async (s) => {
    const now = await listed();
    // No sums yet, or unreadable JSON (cut short): drift, which a repair rewrites; another failure is thrown.
    const kept = await readFile(sumFile(path), 'utf8')
      .then((t) => JSON.parse(t) as Sums)
      .catch((err: unknown) => {
        if (isMissingPath(err) || err instanceof SyntaxError) return undefined;
        throw err;
      });
    const got = !now
      ? 'missing'
      : now !== kept?.listing
        ? 'changed'
        : sha(await wanted(s, pool)) !== kept.script
          ? 'stale'
          : undefined;
    return got
      ? [
          {
            what: 'nat-rules',
            want: `tables ip and bridge ${NAT_TABLE} as the records and uplinks call for`,
            got,
            repairable: true,
          },
        ]
      : [];
  });
}

/**
 * gc's part: rewrites the rules when default nics are recorded and the rules drifted (e.g. the default route moved).
 */
export async function refreshNatRules(path: string, pool: Pool): Promise<boolean> {
  if (!(await readState(path)).nics.some((r) => r.nic.type === 'default')) return false;
  if (!(await natRulesDrift(path, pool)).length) return false;
  await syncNatRules(path, pool);
  return true;
}
