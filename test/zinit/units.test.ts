// The zinit unit files in zinit/: fields zinit v0.2 knows (exec, test, oneshot, after, log, env), exec lines
// that split without a shell, dependencies that exist, ovsdb's create/convert script run for
// real in a scratch dir (inside a test namespace), and ovn-controller's unit waiting for
// fleet.join's external_ids:ovn-remote before it execs ovn-controller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { run } from '../../lib/exec.ts';
import { commandIn } from '../../lib/netns.ts';
import { shellSplit } from '../../internet/cmdline.ts';
import { makeNetns } from '../helpers/netns.ts';
import { waitFor } from '../helpers/agent-run.ts';

const DIR = resolve(import.meta.dirname, '../../zinit');
const FIELDS = new Set(['exec', 'test', 'oneshot', 'after', 'log', 'env', 'dir', 'signal', 'shutdown_timeout']);
/** Units the image's own zinit set provides (0-initramfs), which ours may depend on. */
const EXTERNAL = new Set(['udev-trigger', 'udevd']);

/** The YAML subset our units use: `key: scalar` and `key:` followed by `  - item` lines. */
function parseUnit(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  let list: string[] | undefined;
  for (const line of text.split('\n')) {
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    const item = /^\s+-\s+(.*)$/.exec(line);
    if (item) {
      assert.ok(list, `list item outside a list: ${line}`);
      list.push(item[1]!);
      continue;
    }
    const kv = /^([a-z_]+):(?:\s+(.*))?$/.exec(line);
    assert.ok(kv, `not a key: value line: ${line}`);
    if (kv[2] === undefined) {
      list = [];
      out[kv[1]!] = list;
    } else {
      list = undefined;
      out[kv[1]!] = kv[2];
    }
  }
  return out;
}

async function units(): Promise<Map<string, Record<string, string | string[]>>> {
  const files = (await readdir(DIR)).filter((f) => f.endsWith('.yaml')).sort();
  return new Map(
    await Promise.all(
      files.map(async (f) => [f.slice(0, -5), parseUnit(await readFile(join(DIR, f), 'utf8'))] as const),
    ),
  );
}

test('every unit uses known fields, a splittable exec, a valid log, existing dependencies', async () => {
  const all = await units();
  assert.deepEqual([...all.keys()], ['internet', 'ovn-controller', 'ovs-plugin', 'ovs-vswitchd', 'ovsdb']);
  for (const [name, u] of all) {
    for (const k of Object.keys(u)) assert.ok(FIELDS.has(k), `${name}: unknown field ${k}`);
    assert.equal(typeof u.exec, 'string', `${name}: exec`);
    assert.ok(shellSplit(u.exec as string).length >= 1);
    if (u.test) assert.ok(shellSplit(u.test as string).length >= 1);
    assert.ok(['none', 'ring', 'stdout', undefined].includes(u.log as string), `${name}: log ${u.log}`);
    if (u.oneshot !== undefined) assert.ok(['true', 'false'].includes(u.oneshot as string));
    if (u.oneshot === 'true') assert.equal(u.test, undefined, `${name}: test is for non-oneshot units only`);
    for (const dep of (u.after as string[] | undefined) ?? [])
      assert.ok(all.has(dep) || EXTERNAL.has(dep), `${name}: after ${dep}?`);
  }
  const inet = all.get('internet')!;
  assert.deepEqual(inet, {
    exec: 'node /usr/lib/zos/internet.js',
    oneshot: 'true',
    log: 'stdout',
    after: ['udev-trigger'],
  });
  assert.equal(all.get('ovs-plugin')!.exec, 'node /usr/lib/zos/ovs-plugin.js serve --socket /var/run/ovs-plugin.sock');
});

test('ovsdb unit creates the database, serves it, and converts it when the schema changed', async (t) => {
  const ns = await makeNetns(t, 'tovsu');
  const dir = await mkdtemp(join(tmpdir(), 'ovsdb-unit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const u = (await units()).get('ovsdb')!;
  const schema = join(dir, 'vswitch.ovsschema');
  const orig = JSON.parse(await readFile('/usr/share/openvswitch/vswitch.ovsschema', 'utf8')) as { version: string };
  await writeFile(schema, JSON.stringify(orig));
  const env = { ...process.env, OVS_DB: join(dir, 'etc', 'conf.db'), OVS_SCHEMA: schema, OVS_RUNDIR: join(dir, 'run') };
  const boot = async () => {
    const { stop } = spawnUnit(t, ns, u, env);
    const [tc, ...targs] = shellSplit(u.test as string);
    await waitFor(
      'ovsdb test command',
      async () => (await run(tc!, targs, { env, allowFailure: true })).exitCode === 0,
      15_000,
    );
    return stop;
  };
  const version = async () => (await run('ovsdb-tool', ['db-version', env.OVS_DB], { env })).stdout.trim();
  await (await boot())();
  assert.equal(await version(), orig.version);
  await writeFile(schema, JSON.stringify({ ...orig, version: '99.0.0' }));
  await (await boot())();
  assert.equal(await version(), '99.0.0');
});

/** Runs unit `u`'s exec in namespace `ns` with `env`; the returned stop() (also run in t.after) ends it. */
function spawnUnit(
  t: { after(fn: () => unknown): void },
  ns: string,
  u: Record<string, string | string[]>,
  env: NodeJS.ProcessEnv,
): { pid: number; stop(): Promise<void> } {
  const [cmd, ...args] = shellSplit(u.exec as string);
  const p = spawn(...commandIn({ name: ns }, cmd!, [...args]), { env, stdio: 'ignore' });
  const stop = () =>
    new Promise<void>((r) => {
      if (p.exitCode !== null || p.signalCode !== null) r();
      else {
        p.once('exit', () => r());
        p.kill('SIGTERM');
      }
    });
  t.after(stop);
  return { pid: p.pid!, stop };
}

test('ovn-controller unit waits for external_ids:ovn-remote, then execs ovn-controller', async (t) => {
  const ns = await makeNetns(t, 'tovnu');
  const dir = await mkdtemp(join(tmpdir(), 'ovn-unit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const all = await units();
  const env = {
    ...process.env,
    OVS_DB: join(dir, 'conf.db'),
    OVS_RUNDIR: join(dir, 'run'),
    OVN_RUNDIR: join(dir, 'ovn'),
  };
  spawnUnit(t, ns, all.get('ovsdb')!, env);
  const db = `--db=unix:${join(dir, 'run', 'db.sock')}`;
  const vsctl = (...args: string[]) => run('ovs-vsctl', ['--no-wait', db, ...args], { env, allowFailure: true });
  await waitFor('ovsdb serving', async () => (await vsctl('get', 'Open_vSwitch', '.', '_uuid')).exitCode === 0, 15_000);
  // A key that is not ovn-remote, and an empty ovn-remote, are not a join.
  await vsctl('set', 'Open_vSwitch', '.', 'external_ids:hostname=n1', 'external_ids:ovn-remote=""');
  const unit = spawnUnit(t, ns, all.get('ovn-controller')!, env);
  const comm = () =>
    readFile(`/proc/${unit.pid}/comm`, 'utf8').then(
      (c) => c.trim(),
      () => 'gone',
    );
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await comm(), 'sh', 'still waiting before the join');
  const pidfile = join(dir, 'ovn', 'ovn-controller.pid');
  await assert.rejects(readFile(pidfile, 'utf8'), 'no ovn-controller before the join');
  // What fleet.join writes (ovn-remote is the SB; nothing listens there: ovn-controller retries).
  const joined = Date.now();
  await vsctl('set', 'Open_vSwitch', '.', 'external_ids:ovn-remote="tcp:127.0.0.1:6642"');
  await waitFor('ovn-controller running', async () => (await comm()) === 'ovn-controller', 15_000);
  await waitFor(
    'ovn-controller pidfile',
    async () => (await readFile(pidfile, 'utf8').catch(() => '')).trim() === String(unit.pid),
    15_000,
  );
  t.diagnostic(`ovn-controller exec'd ${Date.now() - joined} ms after ovn-remote was set`);
  await unit.stop();
});
