// Settings are read once, at start, in one place per program: no module of the programs or lib
// reads process.env but the settings modules (ovs-plugin/settings.ts, internet/settings.ts) and
// the image helper's entry (image/zos-init/main.ts, which reads its two at start). Passing the
// whole environment on to a child (`...process.env`) is inheritance, not a read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const ROOTS = ['internet', 'lib', 'ovs-plugin', 'zinit', 'image'];
const ALLOWED = new Set(['ovs-plugin/settings.ts', 'internet/settings.ts', 'image/zos-init/main.ts']);

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith('.ts')) out.push(p); // the programs' TypeScript (image/lib/*.mjs are build scripts)
  }
  return out;
}

test('no module outside the settings modules reads process.env', async () => {
  const found: string[] = [];
  for (const root of ROOTS) {
    for (const file of await sources(root)) {
      if (ALLOWED.has(file)) continue;
      (await readFile(file, 'utf8')).split('\n').forEach((line, i) => {
        // every mention but a spread into a child's environment
        if (/process\.env/.test(line.replace(/\.\.\.process\.env\b(?![.[])/g, '')))
          found.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
  }
  assert.deepEqual(found, []);
});
