// NetnsRef: the one place that builds `ip -n` / `nsenter --net=`, and runIn() in each kind of ref.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readlink } from 'node:fs/promises';
import { sleep } from '../../lib/backoff.ts';
import { startChild } from '../../lib/child.ts';
import { NetnsGoneError } from '../../lib/errors.ts';
import { commandIn, netnsAt, netnsNamed, netnsTarget, runIn, SELF } from '../../lib/netns.ts';
import { makeNetns } from '../helpers/netns.ts';

test('commandIn: self runs as is, a name goes to ip -n (iproute2) or nsenter, a path to nsenter', () => {
  assert.deepEqual(commandIn(SELF, 'ip', ['link']), ['ip', ['link']]);
  assert.deepEqual(commandIn(netnsNamed('n1'), 'ip', ['link']), ['ip', ['-n', 'n1', 'link']]);
  assert.deepEqual(commandIn(netnsNamed('n1'), 'bridge', ['fdb']), ['bridge', ['-n', 'n1', 'fdb']]);
  assert.deepEqual(commandIn(netnsNamed('n1'), 'sysctl', ['-n', 'x']), [
    'nsenter',
    ['--net=/run/netns/n1', '--', 'sysctl', '-n', 'x'],
  ]);
  assert.deepEqual(commandIn(netnsAt('/proc/7/ns/net'), 'ip', ['link']), [
    'nsenter',
    ['--net=/proc/7/ns/net', '--', 'ip', 'link'],
  ]);
  assert.equal(netnsTarget(SELF), String(process.pid));
  assert.equal(netnsTarget(netnsNamed('n1')), 'n1');
  assert.equal(netnsTarget(netnsAt('/proc/7/ns/net')), '/proc/7/ns/net');
});

test('runIn: a named namespace and the same one by /proc/<pid>/ns/net are the same namespace', async (t) => {
  const ns = await makeNetns(t, 'tl');
  const byName = (await runIn(netnsNamed(ns), 'readlink', ['/proc/self/ns/net'])).stdout.trim();
  const holder = startChild(netnsNamed(ns), 'sleep', ['30']);
  t.after(() => holder.kill());
  // nsenter has entered the namespace once /proc/<pid>/ns/net is no longer ours.
  const own = (await runIn(SELF, 'readlink', ['/proc/self/ns/net'])).stdout.trim();
  for (let i = 0; i < 100 && (await readlink(`/proc/${holder.pid}/ns/net`).catch(() => own)) === own; i++)
    await sleep(20);
  const byPath = (await runIn(netnsAt(`/proc/${holder.pid}/ns/net`), 'readlink', ['/proc/self/ns/net'])).stdout.trim();
  assert.equal(byPath, byName);
  assert.notEqual(byName, (await runIn(SELF, 'readlink', ['/proc/self/ns/net'])).stdout.trim());
});

test('runIn: a namespace that is gone is NetnsGoneError (ENETNSGONE), by name and by path', async () => {
  await assert.rejects(
    runIn(netnsNamed('zz-no-such-ns'), 'true', []),
    (e: unknown) => e instanceof NetnsGoneError && e.code === 'ENETNSGONE' && e.netns === 'zz-no-such-ns',
  );
  await assert.rejects(
    runIn(netnsAt('/proc/999999999/ns/net'), 'true', []),
    (e: unknown) => e instanceof NetnsGoneError && e.netns === '/proc/999999999/ns/net',
  );
});
