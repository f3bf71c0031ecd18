// StatusWriter: every update lands in the file in order, whole; formatStatus summarises it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatStatus, readStatus, StatusWriter } from '../../internet/status.ts';
import { RETRY_BACKOFF } from '../../internet/agent.ts';
import { backoffDelay } from '../../lib/backoff.ts';

const retryDelay = (n: number, capMs: number, rnd: () => number) => backoffDelay(n, { ...RETRY_BACKOFF, capMs }, rnd);

/** formatStatus of the last update below: the summary line, then one line per probe. */
const ONLINE_TEXT = new RegExp(
  /^online via eth1 \(02:00:00:00:00:01\) mode=dhcp address=10.0.0.5\/24 gateway=10.0.0.1 in 1234 ms\n/.source +
    / {2}eth1 02:00:00:00:00:01 probing$/.source,
);

test('updates are written whole and in order; the last one wins; no temp files left', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'status-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'sub', 'status.json');
  const w = new StatusWriter(path, Date.now() - 50);
  void w.update({ phase: 'discovering', attempt: 1 });
  void w.update({ probes: [{ nic: 'eth1', mac: '02:00:00:00:00:01', state: 'probing', attempts: 1 }] });
  await w.update({ phase: 'retrying', error: { code: 'EBRIDGE', message: 'x' } });
  await w.update({
    phase: 'online',
    nic: 'eth1',
    mac: '02:00:00:00:00:01',
    mode: 'dhcp',
    addresses: ['10.0.0.5/24'],
    gateways: ['10.0.0.1'],
    totalMs: 1234,
    error: undefined,
  });
  const s = await readStatus(path);
  assert.equal(s.phase, 'online');
  assert.equal(s.error, undefined);
  assert.equal(s.probes[0]?.nic, 'eth1');
  assert.ok(s.elapsedMs >= 50);
  assert.deepEqual(await readdir(join(dir, 'sub')), ['status.json']);
  assert.match(formatStatus(s), ONLINE_TEXT);
});

test('write failures are reported, not thrown', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'status-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'file'), '');
  const errors: unknown[] = [];
  const w = new StatusWriter(join(dir, 'file', 'status.json'));
  await w.update({ phase: 'discovering' }, (e) => errors.push(e));
  assert.equal(errors.length, 1);
});

test('retry backoff grows x1.5 from 0.5 s and is capped', () => {
  assert.equal(
    retryDelay(1, 30_000, () => 0.5),
    500,
  );
  assert.equal(
    retryDelay(2, 30_000, () => 0.5),
    750,
  );
  assert.equal(
    retryDelay(30, 30_000, () => 0.5),
    30_000,
  );
  assert.ok(retryDelay(30, 30_000, () => 1) <= 36_000);
});
