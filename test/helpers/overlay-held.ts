// Namespaces held by a process of ours for the overlay tests, reached by path (/proc/<pid>/ns/*),
// never by a name in the machine's /run/netns; and the sweep that ends them: every process whose
// network or mount namespace is one of ours is killed (wireguard-go daemons, containers' sleeps,
// plugin daemons, ovsdb-server), after which the kernel frees the namespaces and everything in
// them (links, nft tables, the NR namespaces bind-mounted in a node's private /run).
import { spawn } from 'node:child_process';
import { readdir, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** A process holding fresh namespaces; `net`/`mnt` are their files, `ids` their inode names. */
export interface Held {
  readonly pid: number;
  readonly net: string;
  readonly mnt: string;
  /** `net:[N]` / `mnt:[N]` as /proc/<pid>/ns/* read, to find the processes inside later. */
  readonly ids: readonly string[];
}

/**
 * Runs `argv` (an `unshare ... sh -c SCRIPT` or an `nsenter ... unshare ...`) whose script prints
 * `ready <pid>` once set up and then execs `sleep infinity`; resolves with that pid.
 */
export async function holdProcess(argv: readonly string[], what: string, ms = 30_000): Promise<number> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what}: not ready within ${ms} ms: ${err}`));
    }, ms);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.destroy();
        child.stderr.destroy();
        child.unref();
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what}: exited ${code}: ${err}`));
    });
  });
}

/** The namespace ids (`net:[N]`, `mnt:[N]`) of `pid`. */
async function idsOf(pid: number, kinds: readonly string[]): Promise<string[]> {
  return Promise.all(kinds.map((k) => readlink(`/proc/${pid}/ns/${k}`)));
}

/**
 * Holds a new network namespace (and, with `mount`, a mount namespace with a private tmpfs /run
 * holding /run/wireguard and /run/netns); `script` runs inside first.
 */
export async function holdNamespaces(opts: { mount: boolean; script?: string; what: string }): Promise<Held> {
  const setup = [
    ...(opts.mount ? ['mount -t tmpfs tmpfs /run', 'mkdir -p /run/wireguard /run/netns'] : []),
    'ip link set lo up',
    ...(opts.script ? [opts.script] : []),
    'echo ready $$',
    'exec sleep infinity',
  ].join('\n');
  const flags = opts.mount ? ['--net', '--mount', '--propagation', 'private'] : ['--net'];
  const pid = await holdProcess(['unshare', ...flags, '--fork', '--kill-child', '--', 'sh', '-ec', setup], opts.what);
  const kinds = opts.mount ? ['net', 'mnt'] : ['net'];
  return { pid, net: `/proc/${pid}/ns/net`, mnt: `/proc/${pid}/ns/mnt`, ids: await idsOf(pid, kinds) };
}

/** Pids of every process whose network or mount namespace is one of `ids`. */
export async function processesIn(ids: ReadonlySet<string>): Promise<number[]> {
  const found: number[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const mine = await Promise.all(['net', 'mnt'].map((k) => readlink(`/proc/${e}/ns/${k}`).catch(() => '')));
    if (mine.some((id) => ids.has(id))) found.push(Number(e));
  }
  return found;
}

/** Kills (SIGKILL) every process inside `ids` until none is left or `ms` pass; returns the survivors. */
export async function sweep(ids: ReadonlySet<string>, ms = 20_000): Promise<number[]> {
  const end = Date.now() + ms;
  for (;;) {
    const pids = await processesIn(ids);
    if (pids.length === 0 || Date.now() > end) return pids;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await sleep(100);
  }
}
