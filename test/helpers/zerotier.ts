// A private ZeroTier network for tests, with no internet: zerotier-one 1.14.1 and mkworld from
// `$ZEROTIER_ONE` / `$MKWORLD`, default ../shared/zerotier/ beside the repository (build/test
// inputs, never committed; missing, the tests fail: they never skip). A switch namespace (bridge
// br0, 10.98.0.0/24); the root and controller in a namespace of its own on it (10.98.0.1: the
// planet from mkworld names it as the only root); nodes on it (10.98.0.1x, default route via the
// root), each with its own plugin (exec in the node's namespace, its own state file, no OVSDB),
// whose containers reach the root through a `default` nic (NAT). Every zerotier-one the test
// started (found by the test's directory in its command line) is SIGKILLed in t.after, before
// the namespaces and the directory go.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { run, type RunResult } from '../../lib/exec.ts';
import { ip } from '../../lib/ip.ts';
import { commandIn, runIn } from '../../lib/netns.ts';
import { BUNDLE, ensureBundle, unframe } from '../ovs-plugin/helpers.ts';
import { makeNetns } from './netns.ts';

/** zerotier-one under test. */
export const ZEROTIER_ONE = resolve(
  process.env.ZEROTIER_ONE || resolve(import.meta.dirname, '../../../shared/zerotier/zerotier-one'),
);
/** mkworld (a private planet): beside zerotier-one unless `$MKWORLD`. */
export const MKWORLD = resolve(process.env.MKWORLD || join(dirname(ZEROTIER_ONE), 'mkworld'));

/** Fails (never skips) when zerotier-one or mkworld is missing, naming where they were looked for. */
export async function requireZerotier(): Promise<void> {
  for (const [what, path] of [
    ['zerotier-one', ZEROTIER_ONE],
    ['mkworld', MKWORLD],
  ] as const) {
    try {
      await access(path, constants.X_OK);
    } catch {
      throw new Error(
        `${what} not found at ${path}: set $ZEROTIER_ONE (and $MKWORLD) or see ../shared/zerotier/README.md`,
      );
    }
  }
}

/** Polls `f` every `every` ms until it returns a value other than undefined, or `ms` pass (then throws `what`). */
export async function until<T>(what: string, ms: number, f: () => Promise<T | undefined>, every = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Pids of the zerotier-one processes whose command line names a path under `dir`. */
export async function ztPidsUnder(dir: string): Promise<number[]> {
  const out: number[] = [];
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const argv = (await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv[0]?.endsWith('zerotier-one') && argv.some((a) => a.startsWith(`${dir}/`))) out.push(Number(p));
  }
  return out;
}

/** The private network's root and controller. */
export interface ZtWorld {
  dir: string;
  sw: string;
  root: string;
  planet: string;
  /** The controller's local API (from inside its namespace): method, path, body -> JSON. */
  api(method: string, path: string, body?: unknown): Promise<any>;
  /** A new network with an IPv4 pool of 10.147.<n>.0/24; `open`: anyone joins (not private). */
  network(n: number, open?: boolean): Promise<string>;
  /** Admits member `node` to network `nwid`. */
  authorize(nwid: string, node: string): Promise<void>;
}

const API_JS =
  "const [m,u,t,b]=process.argv.slice(1);fetch(u,{method:m,headers:{'X-ZT1-Auth':t},body:b||undefined})" +
  '.then(async r=>{const x=await r.text();if(!r.ok){console.error(r.status,x);process.exit(1)}console.log(x)})' +
  '.catch(e=>{console.error(e.message);process.exit(2)})';

/** The switch, the root/controller (started and answering), its planet. */
export async function ztWorld(t: Pick<TestContext, 'after'>): Promise<ZtWorld> {
  await requireZerotier();
  await ensureBundle();
  const dir = await mkdtemp('/tmp/ztw-');
  t.after(async () => {
    for (const p of await ztPidsUnder(dir)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await until('zerotier-one gone', 5000, async () => ((await ztPidsUnder(dir)).length ? undefined : true));
    await rm(dir, { recursive: true, force: true });
  });
  const sw = await makeNetns(t, 'zs');
  await ip({ name: sw }, ['link', 'add', 'name', 'br0', 'type', 'bridge']);
  await ip({ name: sw }, ['link', 'set', 'br0', 'up']);
  const root = await makeNetns(t, 'zr');
  await plug(sw, root, 'u0', '10.98.0.1/24');
  await ip({ name: root }, ['link', 'set', 'u0', 'up']);
  const home = join(dir, 'root');
  await mkdir(home);
  await run(ZEROTIER_ONE, ['-i', 'generate', join(home, 'identity.secret'), join(home, 'identity.public')]);
  await writeFile(
    join(home, 'local.conf'),
    JSON.stringify({ settings: { primaryPort: 9993, portMappingEnabled: false, allowTcpFallbackRelay: false } }),
  );
  const planet = join(dir, 'planet');
  // mkworld writes its signing keys into its working directory: the test's.
  await run('sh', [
    '-c',
    'cd "$0" && exec "$@"',
    dir,
    MKWORLD,
    planet,
    '149604618',
    '1567191349589',
    `${join(home, 'identity.public')}@10.98.0.1/9993`,
  ]);
  await writeFile(join(home, 'planet'), await readFile(planet));
  const proc = spawn(...commandIn({ name: root }, ZEROTIER_ONE, ['-U', home]), { stdio: 'ignore' });
  t.after(() => {
    proc.kill('SIGKILL');
  });
  const id = (await readFile(join(home, 'identity.public'), 'utf8')).slice(0, 10);
  const token = () => readFile(join(home, 'authtoken.secret'), 'utf8').then((x) => x.trim());
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await runIn({ name: root }, 'node', [
      '-e',
      API_JS,
      method,
      `http://127.0.0.1:9993${path}`,
      await token(),
      body === undefined ? '' : JSON.stringify(body),
    ]);
    return JSON.parse(r.stdout);
  };
  await until('the root answers', 15_000, () =>
    api('GET', '/status').then(
      (s) => (s.online !== undefined ? s : undefined),
      () => undefined,
    ),
  );
  return {
    dir,
    sw,
    root,
    planet,
    api,
    network: async (n, open = false) =>
      (
        await api('POST', `/controller/network/${id}______`, {
          name: `t${n}`,
          private: !open,
          v4AssignMode: { zt: true },
          ipAssignmentPools: [{ ipRangeStart: `10.147.${n}.10`, ipRangeEnd: `10.147.${n}.250` }],
          routes: [{ target: `10.147.${n}.0/24` }],
        })
      ).id as string,
    authorize: async (nwid, node) => {
      await api('POST', `/controller/network/${nwid}/member/${node}`, { authorized: true });
    },
  };
}

/** A veth from switch `sw` (port up on br0) to `ns` as `name` with `cidr`. */
async function plug(sw: string, ns: string, name: string, cidr: string): Promise<void> {
  const port = `p${Math.random().toString(16).slice(2, 10)}`;
  await ip({ name: sw }, ['link', 'add', 'name', port, 'type', 'veth', 'peer', 'name', name, 'netns', ns]);
  await ip({ name: sw }, ['link', 'set', port, 'master', 'br0', 'up']);
  await ip({ name: ns }, ['addr', 'add', cidr, 'dev', name]);
}

/** A node: its namespace (the plugin's host), its state file, and exec calls of its plugin. */
export interface ZtNode {
  ns: string;
  state: string;
  env: Record<string, string>;
  call(cmd: string, args?: unknown, env?: Record<string, string>): Promise<RunResult & { value: any }>;
}

/** Node `i` (10.98.0.<10+i>) on the world's switch, default route via the root. */
export async function ztNode(t: Pick<TestContext, 'after'>, w: ZtWorld, i: number): Promise<ZtNode> {
  const ns = await makeNetns(t, 'zn');
  await plug(w.sw, ns, 'u0', `10.98.0.${10 + i}/24`);
  await ip({ name: ns }, ['link', 'set', 'u0', 'up']);
  await ip({ name: ns }, ['route', 'add', 'default', 'via', '10.98.0.1']);
  const dir = join(w.dir, `node${i}`);
  await mkdir(dir);
  const state = join(dir, 'nics.json');
  const env = {
    ...(process.env as Record<string, string>),
    OVS_DB: `unix:${join(dir, 'no-ovsdb.sock')}`,
    OVS_PLUGIN_STATE: state,
    OVS_PLUGIN_NAT_POOL: `172.${20 + i}.0.0/16`,
    ZEROTIER_ONE,
    ZEROTIER_PLANET: w.planet,
  };
  return {
    ns,
    state,
    env,
    call: async (cmd, args, extra = {}) => {
      const r = await runIn(
        { name: ns },
        'node',
        [BUNDLE, cmd, ...(args === undefined ? [] : [JSON.stringify(args)])],
        {
          env: { ...env, ...extra },
          allowFailure: true,
          timeoutMs: 90_000,
        },
      );
      return { ...r, value: unframe(r.stdout) };
    },
  };
}
