// image/build.sh's refusals: a bad ZINIT or TEST_CHECKS and a Debian package it cannot get are
// named, the build exits non-zero and leaves no artefacts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../lib/exec.ts';

async function build(t: { after(fn: () => unknown): void }, env: Record<string, string>) {
  const out = await mkdtemp(join(tmpdir(), 'zos-image-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  const r = await run('bash', ['image/build.sh'], {
    env: { ...(process.env as Record<string, string>), OUT: out, ...env },
    allowFailure: true,
    timeoutMs: 240_000,
  });
  return { ...r, out };
}

test('a ZINIT that is not an executable is named, nothing is built', async (t) => {
  const r = await build(t, { ZINIT: '/nonexistent/zinit' });
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /image: error: ZINIT=\/nonexistent\/zinit is not an executable file/);
  assert.ok(!existsSync(join(r.out, 'pxe/initrd.img')));
});

test('a TEST_CHECKS that is not a file is named, nothing is built', async (t) => {
  const r = await build(t, { TEST_CHECKS: '/nonexistent/zos-test-checks.js' });
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /image: error: TEST_CHECKS=\/nonexistent\/zos-test-checks.js is not a file/);
  assert.ok(!existsSync(join(r.out, 'pxe/initrd.img')));
});

test('a Debian package the build cannot get is named, exit non-zero', async (t) => {
  const r = await build(t, { IMAGE_EXTRA_PACKAGES: 'zos-no-such-package' });
  assert.equal(r.exitCode, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /image: error: cannot install Debian package zos-no-such-package/);
  assert.ok(!existsSync(join(r.out, 'usb.img')));
});
