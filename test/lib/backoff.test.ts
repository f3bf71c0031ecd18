// One backoff and one abortable sleep for the whole project.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, sleep } from '../../lib/backoff.ts';

test('backoffDelay grows by its factor from the base, is capped, and jitters within its bounds', () => {
  const b = { baseMs: 100, capMs: 2000 };
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 1000].map((n) => backoffDelay(n, b)),
    [100, 200, 400, 800, 1600, 2000, 2000],
  );
  assert.equal(backoffDelay(3, { baseMs: 500, capMs: 30_000, factor: 1.5 }), 1125);
  assert.equal(
    backoffDelay(2, { ...b, jitter: [0.5, 1] }, () => 0),
    100,
  );
  assert.equal(
    backoffDelay(2, { ...b, jitter: [0.5, 1] }, () => 1),
    200,
  );
  assert.equal(backoffDelay(1e9, { baseMs: 0, capMs: 10 }), 0, 'a zero base stays 0, never NaN');
});

test("sleep resolves after its time; an abort rejects at once with the signal's reason", async () => {
  const t0 = Date.now();
  await sleep(30);
  assert.ok(Date.now() - t0 >= 25);
  const ac = new AbortController();
  const why = new Error('stopped');
  setTimeout(() => ac.abort(why), 20);
  await assert.rejects(sleep(10_000, ac.signal), (e: unknown) => e === why);
  await assert.rejects(sleep(10, ac.signal), (e: unknown) => e === why, 'already aborted');
});
