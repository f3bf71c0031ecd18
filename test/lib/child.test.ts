// startChild: argument arrays inside a NetnsRef, stdout lines, kill, one exit report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { spawnDetached, startChild } from '../../lib/child.ts';
import { ExecError, NetnsGoneError } from '../../lib/errors.ts';
import { netnsNamed, runIn, SELF } from '../../lib/netns.ts';
import { makeNetns } from '../helpers/netns.ts';

test('startChild: lines as they come, the output kept, exit 0 without error', async () => {
  const lines: string[] = [];
  const c = startChild(SELF, 'printf', ['a\nb\nlast'], { onLine: (l) => lines.push(l), keepStdout: true });
  const e = await c.exited;
  assert.deepEqual(lines, ['a', 'b', 'last']);
  assert.deepEqual([e.code, e.signal, e.stdout, e.error], [0, null, 'a\nb\nlast', undefined]);
});

test('startChild: kill() and abort end it as killed; a missing program as could not run; stderr kept', async () => {
  const c = startChild(SELF, 'sleep', ['30']);
  c.kill();
  const k = await c.exited;
  assert.equal(k.signal, 'SIGKILL');
  assert.ok(k.error instanceof ExecError && /killed by SIGKILL/.test(k.error.message));
  const ac = new AbortController();
  const d = startChild(SELF, 'sh', ['-c', 'echo oops >&2; exec sleep 30'], { signal: ac.signal });
  setTimeout(() => ac.abort(), 100);
  const a = await d.exited;
  assert.equal(a.signal, 'SIGKILL');
  assert.equal(a.stderr, 'oops\n');
  const m = await startChild(SELF, '/nonexistent/cmd', []).exited;
  assert.ok(
    m.error instanceof ExecError && /could not run/.test(m.error.message) && m.error.signal === undefined,
    m.error?.message,
  );
  const f = await startChild(SELF, 'sh', ['-c', 'exit 4']).exited;
  assert.equal(f.code, 4);
  assert.ok(f.error instanceof ExecError && f.error.exitCode === 4);
});

test(
  'startChild: runs inside the namespace it names; ' +
    'a gone one is NetnsGoneError; closeStdin ends a child tied to it',
  async (t) => {
    const ns = netnsNamed(await makeNetns(t, 'tc'));
    const want = (await runIn(ns, 'readlink', ['/proc/self/ns/net'])).stdout.trim();
    const lines: string[] = [];
    await startChild(ns, 'readlink', ['/proc/self/ns/net'], { onLine: (l) => lines.push(l) }).exited;
    assert.deepEqual(lines, [want]);
    const gone = await startChild(netnsNamed('zz-no-such-ns'), 'true', []).exited;
    assert.ok(gone.error instanceof NetnsGoneError, gone.error?.message);
    const tied = startChild(SELF, 'sh', ['-c', 'read _; echo bye'], { stdin: 'pipe', onLine: (l) => lines.push(l) });
    tied.closeStdin();
    assert.equal((await tied.exited).code, 0);
    assert.equal(lines.at(-1), 'bye');
  },
);

test(
  'spawnDetached: resolves with the pid of a child in its own process group; ' + 'a missing program is EEXEC_SPAWN',
  async (t) => {
    const pid = await spawnDetached(SELF, 'sleep', ['30'], { env: { ZOS_DETACHED_TEST: '1' } });
    t.after(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    });
    const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    assert.equal(Number(stat[2]), pid, 'its own process group');
    assert.ok((await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0').includes('ZOS_DETACHED_TEST=1'));
    await assert.rejects(
      spawnDetached(SELF, '/nonexistent/cmd', []),
      (e: unknown) => e instanceof ExecError && e.code === 'EEXEC_SPAWN' && /could not run \(ENOENT\)/.test(e.message),
    );
  },
);
