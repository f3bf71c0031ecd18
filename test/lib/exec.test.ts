// run(): argument arrays, typed failures, timeouts and cancellation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../lib/exec.ts';
import { ExecError } from '../../lib/errors.ts';

test('run: output, input, and arguments passed as they are (no shell)', async () => {
  assert.deepEqual(await run('printf', ['%s|', 'a b', '$HOME', ';x']), { stdout: 'a b|$HOME|;x|', stderr: '', exitCode: 0 });
  assert.equal((await run('cat', [], { input: 'in\n' })).stdout, 'in\n');
});

test('run: a non-zero exit is an ExecError naming the command, status and stderr, unless allowed', async () => {
  await assert.rejects(run('sh', ['-c', 'echo bad >&2; exit 3']), (e: unknown) =>
    e instanceof ExecError && e.code === 'EEXEC' && e.exitCode === 3 && /sh -c .*exited 3: bad/.test(e.message));
  assert.deepEqual(await run('sh', ['-c', 'echo bad >&2; exit 3'], { allowFailure: true }), { stdout: '', stderr: 'bad\n', exitCode: 3 });
  await assert.rejects(run('/nonexistent/cmd', [], { allowFailure: true }), (e: unknown) => e instanceof ExecError && e.code === 'EEXEC_SPAWN' && e.exitCode === undefined);
});

test('run: a timeout or an abort kills the child and fails at once, even with allowFailure', async () => {
  let t0 = Date.now();
  await assert.rejects(run('sleep', ['5'], { timeoutMs: 100, allowFailure: true }), (e: unknown) =>
    e instanceof ExecError && e.code === 'EEXEC_TIMEOUT' && e.timedOut && /timed out after 100 ms/.test(e.message));
  assert.ok(Date.now() - t0 < 2000);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  t0 = Date.now();
  await assert.rejects(run('sleep', ['5'], { signal: ac.signal, allowFailure: true }), (e: unknown) =>
    e instanceof ExecError && e.code === 'EEXEC' && e.signal === 'SIGKILL' && !e.timedOut);
  assert.ok(Date.now() - t0 < 2000);
});
