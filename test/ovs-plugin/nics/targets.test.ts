// Targets nic.attach refuses: the node's own network namespace (the plugin's, by name, by a
// /run/netns link to it or by the pid of a process in it; PID 1's), a /run/netns entry that is
// not a network namespace, and guest names that are not one safe path component. Each refusal
// is EINVALID naming the field and changes nothing. The plugin runs in the test's "host"
// namespace, so even a missing refusal only ever touches test namespaces.
import { spawn } from 'node:child_process';
import { mkdir, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../lib/exec.ts';
import { ip } from '../../../lib/ip.ts';
import { netnsPath } from '../../../lib/netns.ts';
import { randomName } from '../../helpers/netns.ts';
import { BUNDLE, pluginEnv, unframe } from '../helpers.ts';
import { container, nicEnv, type NicEnv } from './helpers.ts';

/** A `sleep` in namespace `ns` (killed in t.after): its pid names that namespace. */
async function sleeperIn(t: TestContext, ns: string): Promise<number> {
  const p = spawn('nsenter', [`--net=${netnsPath(ns)}`, '--', 'sleep', '600'], { stdio: 'ignore' });
  t.after(() => {
    p.kill('SIGKILL');
  });
  await new Promise((r) => p.once('spawn', r));
  return p.pid!;
}

/** A /run/netns entry made by `make` under a random name, removed in t.after. */
async function runNetnsEntry(
  t: TestContext,
  make: (path: string) => Promise<void>,
  remove: (path: string) => Promise<void> = (p) => rm(p, { force: true }),
): Promise<string> {
  const name = randomName('tg');
  await mkdir('/run/netns', { recursive: true });
  await make(netnsPath(name));
  t.after(() => remove(netnsPath(name)));
  return name;
}

/** One refused attach: the code, the field, and nothing changed (host, `others`, OVSDB, state). */
async function refused(
  e: NicEnv,
  others: string[],
  args: unknown,
  field: string,
  what: string,
  call = () => e.call('nic.attach', args),
): Promise<void> {
  const before = await e.snapshot(...others);
  const r = await call();
  assert.deepEqual([r.exitCode, r.value.code, r.value.field], [1, 'EINVALID', field], `${what}: ${r.stdout}`);
  assert.equal(await e.snapshot(...others), before, `${what}: nothing changed`);
}

/** The host links and a bridge br0 whose veth a wrongly accepted nic would get. */
async function withBridge(e: NicEnv): Promise<void> {
  await ip({ name: e.host }, ['link', 'add', 'name', 'br0', 'type', 'bridge']);
  await ip({ name: e.host }, ['link', 'add', 'name', 'vh0', 'type', 'veth', 'peer', 'name', 'vp0']);
}

test(
  "nic.attach refuses the plugin's own namespace: by name, " + 'by a /run/netns link, by the pid of a process in it',
  async (t) => {
    const e = await nicEnv(t);
    await withBridge(e);
    const link = await runNetnsEntry(t, (p) => symlink(netnsPath(e.host), p));
    const pid = await sleeperIn(t, e.host);
    for (const nic of [
      { type: 'bridge', id: 'br0', config: { cidr: '10.9.0.2/24', gateway: '10.9.0.1' } },
      { type: 'passthrough', id: 'vh0' },
      { type: 'macvlan', id: 'vh0' },
    ]) {
      await refused(e, [], { target: { netns: e.host }, nic }, 'target.netns', `${nic.type} into the host by name`);
      await refused(
        e,
        [],
        { target: { netns: link }, nic },
        'target.netns',
        `${nic.type} into a /run/netns link to the host`,
      );
      await refused(e, [], { target: { pid }, nic }, 'target.pid', `${nic.type} into a process of the host`);
    }
    // A container is still a target.
    const c1 = await container(t);
    const ok = await e.call('nic.attach', { target: { netns: c1 }, nic: { type: 'bridge', id: 'br0' } });
    assert.equal(ok.exitCode, 0, ok.stdout);
  },
);

test(
  "nic.attach refuses PID 1's namespace (the plugin in a PID " +
    'namespace whose init sits in another network namespace)',
  async (t) => {
    const e = await nicEnv(t);
    await withBridge(e);
    // "The node": a test namespace holding PID 1 of a fresh PID namespace; the plugin runs in
    // e.host beside it, so {pid: 1} is that test namespace, never the machine's.
    const node = await container(t);
    const args = JSON.stringify({ target: { pid: 1 }, nic: { type: 'bridge', id: 'br0' } });
    const inPidNs = async () => {
      // sh stays PID 1 (it runs a command and then `exit`), in `node`'s network namespace.
      const script = `nsenter --net=${netnsPath(e.host)} -- node ${BUNDLE} nic.attach '${args}'; exit $?`;
      const r = await run(
        'nsenter',
        [`--net=${netnsPath(node)}`, '--', 'unshare', '--pid', '--fork', '--mount-proc', 'sh', '-c', script],
        { env: { ...pluginEnv(e.ovs), OVS_PLUGIN_STATE: e.state }, allowFailure: true, timeoutMs: 30000 },
      );
      return { ...r, value: unframe(r.stdout) as any };
    };
    await refused(e, [node], undefined, 'target.pid', "bridge into PID 1's namespace", inPidNs);
  },
);

test('nic.attach refuses a /run/netns entry that is not a network namespace', async (t) => {
  const e = await nicEnv(t);
  await withBridge(e);
  const file = await runNetnsEntry(t, (p) => writeFile(p, ''));
  const dir = await runNetnsEntry(
    t,
    (p) => mkdir(p),
    (p) => rmdir(p).catch(() => {}),
  );
  const pid = await sleeperIn(t, e.host);
  const uts = await runNetnsEntry(t, (p) => symlink(`/proc/${pid}/ns/uts`, p));
  for (const [name, what] of [
    [file, 'a plain file'],
    [dir, 'a directory'],
    [uts, 'a UTS namespace'],
  ] as const) {
    await refused(e, [], { target: { netns: name }, nic: { type: 'bridge', id: 'br0' } }, 'target.netns', what);
  }
});

test('nic.attach refuses guest names . and .. (not one path component)', async (t) => {
  const e = await nicEnv(t);
  await withBridge(e);
  for (const kvm of ['.', '..']) {
    await refused(e, [], { target: { kvm }, nic: { type: 'bridge', id: 'br0' } }, 'target.kvm', `guest ${kvm}`);
  }
});
