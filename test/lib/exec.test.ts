// run(): argument arrays, typed failures, timeouts and cancellation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../lib/exec.ts';
import { ExecError } from '../../lib/errors.ts';

test('run: output, input, and arguments passed as they are (no shell)', async () => {
  assert.deepEqual(await run('printf', ['%s|', 'a b', '$HOME', ';x']), {
    stdout: 'a b|$HOME|;x|',
    stderr: '',
    exitCode: 0,
  });
  assert.equal((await run('cat', [], { input: 'in\n' })).stdout, 'in\n');
});

test('run: a non-zero exit is an ExecError naming the command, status and stderr, unless allowed', async () => {
  await assert.rejects(
    run('sh', ['-c', 'echo bad >&2; exit 3']),
    (e: unknown) =>
      e instanceof ExecError && e.code === 'EEXEC' && e.exitCode === 3 && /sh -c .*exited 3: bad/.test(e.message),
  );
  assert.deepEqual(await run('sh', ['-c', 'echo bad >&2; exit 3'], { allowFailure: true }), {
    stdout: '',
    stderr: 'bad\n',
    exitCode: 3,
  });
  await assert.rejects(
    run('/nonexistent/cmd', [], { allowFailure: true }),
    (e: unknown) => e instanceof ExecError && e.code === 'EEXEC_SPAWN' && e.exitCode === undefined,
  );
});

test('run: a timeout or an abort kills the child and fails at once, even with allowFailure', async () => {
  let t0 = Date.now();
  await assert.rejects(
    run('sleep', ['5'], { timeoutMs: 100, allowFailure: true }),
    (e: unknown) =>
      e instanceof ExecError && e.code === 'EEXEC_TIMEOUT' && e.timedOut && /timed out after 100 ms/.test(e.message),
  );
  assert.ok(Date.now() - t0 < 2000);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  t0 = Date.now();
  await assert.rejects(
    run('sleep', ['5'], { signal: ac.signal, allowFailure: true }),
    (e: unknown) => e instanceof ExecError && e.code === 'EEXEC' && e.signal === 'SIGKILL' && !e.timedOut,
  );
  assert.ok(Date.now() - t0 < 2000);
});

test('run: a timeout keeps the stderr written so far, with signal, timedOut and the duration', async () => {
  // exec replaces the shell, so nothing else holds the pipes open after the kill.
  const err = await run('sh', ['-c', 'echo half-done >&2; exec sleep 5'], { timeoutMs: 200 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ExecError);
  assert.equal(err.code, 'EEXEC_TIMEOUT');
  assert.equal(err.timedOut, true);
  assert.equal(err.signal, 'SIGKILL');
  assert.equal(err.exitCode, undefined);
  assert.match(err.stderr, /half-done/);
  assert.match(err.message, /timed out after 200 ms: half-done/);
  assert.ok(
    err.durationMs !== undefined && err.durationMs >= 190 && err.durationMs < 3000,
    `duration ${err.durationMs}`,
  );
  assert.deepEqual(
    { timedOut: err.details.timedOut, signal: err.details.signal },
    { timedOut: true, signal: 'SIGKILL' },
  );
});

test('run: a killed child is reported as killed, not as one that could not run', async () => {
  const killed = await run('sh', ['-c', 'kill -9 $$'], { allowFailure: true }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(killed instanceof ExecError);
  assert.equal(killed.signal, 'SIGKILL');
  assert.equal(killed.timedOut, false);
  assert.match(killed.message, /killed by SIGKILL/);
  assert.doesNotMatch(killed.message, /could not run/);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  const aborted = await run('sleep', ['5'], { signal: ac.signal }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(aborted instanceof ExecError);
  assert.equal(aborted.signal, 'SIGKILL');
  assert.doesNotMatch(aborted.message, /could not run/);
  const missing = await run('/nonexistent/cmd', []).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(missing instanceof ExecError);
  assert.equal(missing.signal, undefined);
  assert.match(missing.message, /could not run \(ENOENT\)/);
});

test('run: output past maxOutputBytes kills the child and fails, even with allowFailure', async () => {
  const t0 = performance.now();
  const err = await run('sh', ['-c', 'exec yes'], {
    maxOutputBytes: 100_000,
    allowFailure: true,
    timeoutMs: 20_000,
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ExecError, 'it failed');
  assert.equal(err.signal, 'SIGKILL');
  assert.equal(err.timedOut, false);
  assert.match(err.stderr, /output passed 100000 bytes/);
  assert.ok(performance.now() - t0 < 10_000, 'killed at the bound, not at the timeout');
});
