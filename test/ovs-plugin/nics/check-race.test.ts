// nic.check racing what removes the nic: a link gone between the check's read and its repair is
// drift (never ELINKNOTFOUND); a nic detached while it is checked is ENOTFOUND. The race is made
// deterministic by an `ip` on the check's PATH that, at one chosen command, first does what the
// racer would (deletes the link, or runs nic.detach), then runs the real `ip`.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../lib/exec.ts';
import { ip } from '../../../lib/ip.ts';
import { BUNDLE } from '../helpers.ts';
import { container, nicEnv } from './helpers.ts';

/** A directory holding an `ip` that runs `before` (sh) when its arguments contain `when`, then the real ip. */
async function ipHook(t: TestContext, when: string, before: string): Promise<Record<string, string>> {
  const real = (await run('sh', ['-c', 'command -v ip'])).stdout.trim();
  const dir = await mkdtemp(join(tmpdir(), 'iphook-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'ip'), `#!/bin/sh\ncase " $* " in *"${when}"*) ${before} ;; esac\nexec ${real} "$@"\n`);
  await chmod(join(dir, 'ip'), 0o755);
  return { PATH: `${dir}:${process.env.PATH}`, REAL_PATH: process.env.PATH ?? '', REAL_IP: real };
}

test('nic.check repair: a link gone before the repair reaches it is drift, not ELINKNOTFOUND', async (t) => {
  const e = await nicEnv(t, { backplane: false });
  const c1 = await container(t);
  await ip({ name: e.host }, ['link', 'add', 'name', 'br0', 'type', 'bridge']);
  const a = await e.call('nic.attach', { target: { netns: c1 }, nic: { type: 'bridge', id: 'br0' } });
  assert.equal(a.exitCode, 0, a.stdout);
  await ip({ name: c1 }, ['link', 'set', 'eth0', 'down']);
  // The repair's `ip -n c1 link set dev eth0 up` finds the pair deleted just before it.
  const env = await ipHook(t, ' link set dev eth0 up ', `"$REAL_IP" -n ${c1} link del dev eth0`);
  const r = await e.call('nic.check', { target: { netns: c1 }, name: 'eth0', repair: true }, env);
  assert.equal(r.exitCode, 0, r.stdout);
  assert.equal(r.value.ok, false);
  assert.ok(
    r.value.drift.some((d: { what: string }) => d.what === 'host' || d.what === 'link'),
    r.stdout,
  );
  assert.equal((await e.call('nic.detach', { target: { netns: c1 }, name: 'eth0' })).exitCode, 0);
  assert.deepEqual((await e.call('nic.list', {})).value, []);
});

test('nic.check of a nic detached while it is checked: ENOTFOUND', async (t) => {
  const e = await nicEnv(t, { backplane: false });
  const c1 = await container(t);
  await ip({ name: e.host }, ['link', 'add', 'name', 'br0', 'type', 'bridge']);
  const a = await e.call('nic.attach', { target: { netns: c1 }, nic: { type: 'bridge', id: 'br0' } });
  assert.equal(a.exitCode, 0, a.stdout);
  // The check's read of eth0 in c1 comes right after a whole nic.detach (the real ip on its PATH).
  const eth0 = JSON.stringify({ target: { netns: c1 }, name: 'eth0' });
  const detach = `PATH="$REAL_PATH" node ${BUNDLE} nic.detach '${eth0}' >/dev/null`;
  const env = await ipHook(t, ` -n ${c1} -j -d link show dev eth0 `, detach);
  const r = await e.call('nic.check', { target: { netns: c1 }, name: 'eth0' }, env);
  assert.deepEqual([r.exitCode, r.value.code, r.value.field], [1, 'ENOTFOUND', 'name'], r.stdout);
  assert.deepEqual((await e.call('nic.list', {})).value, [], 'the detach went through');
});
