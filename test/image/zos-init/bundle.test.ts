// The production bundle dist/zos-init.js is the fallback init alone: no test or benchmark code
// (the boot tests' checks are their own bundle, test/image/node-checks/, only in the test images).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';

test('zos-init bundles its own files and the shared library only: no check, test or benchmark code', async () => {
  const r = await build({
    entryPoints: ['image/zos-init/main.ts'],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(r.metafile.inputs);
  assert.ok(inputs.includes('image/zos-init/main.ts'), inputs.join(' '));
  // Product code only: the init's own modules and the shared library (lib/: the error registry).
  const product = (f: string): boolean => ['image/zos-init/', 'lib/', 'node_modules/'].some((p) => f.startsWith(p));
  assert.deepEqual(
    inputs.filter((f) => !product(f)),
    [],
  );
});
