// image/build.sh's refusals: a bad ZINIT or TEST_CHECKS and a Debian package it cannot get are
// named, the build exits non-zero and leaves no artefacts; and the built image fits its size budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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

// The size budget (issues 18 and 20: WireGuard and OVN's ovn-controller): the initrd up to 38 MB and the PXE set
// (vmlinuz + initrd.img + boot.ipxe) up to 47 MB, in the build's own MB (1e6 bytes). Checked on
// the boot tests' image (`make image-test`, the largest: it carries the checks bundle).
const LIMITS = { initrd: 38e6, pxe: 47e6 };
test('the test image fits the size budget: initrd <= 38 MB, PXE set <= 47 MB', async (t) => {
  const dir = resolve(process.env.ZOS_IMAGE ?? 'build/image-test');
  if (!existsSync(join(dir, 'pxe/initrd.img'))) {
    t.skip(`${dir} not built (make image-test)`);
    return;
  }
  const initrd = statSync(join(dir, 'pxe/initrd.img')).size;
  const pxe = readdirSync(join(dir, 'pxe')).reduce((n, f) => n + statSync(join(dir, 'pxe', f)).size, 0);
  t.diagnostic(`initrd ${(initrd / 1e6).toFixed(1)} MB, PXE set ${(pxe / 1e6).toFixed(1)} MB`);
  assert.ok(initrd <= LIMITS.initrd, `initrd ${initrd} bytes > ${LIMITS.initrd}`);
  assert.ok(pxe <= LIMITS.pxe, `PXE set ${pxe} bytes > ${LIMITS.pxe}`);
});
