// The layers of ovs-plugin, read from the import lines: nic kinds and planners stand below the
// commands (no value import from ovs-plugin/commands/), and no value imports go round in a cycle
// among the files of ovs-plugin/ and lib/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every .ts file under `dir` (relative to the repository). */
function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** The repository-relative files `file` imports a value from (type-only imports left out). */
function valueImports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const out: string[] = [];
  const re = /^(?:import|export)\s+(type\s+)?(?:([^'";]*?)\s+from\s+)?['"]([^'"]+)['"]/gms;
  for (const m of text.matchAll(re)) {
    const [, typeOnly, clause, spec] = m;
    if (typeOnly || !spec!.startsWith('.')) continue;
    if (clause !== undefined && /^\{[^}]*\}$/s.test(clause.trim())) {
      const names = clause
        .trim()
        .slice(1, -1)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (names.length && names.every((n) => n.startsWith('type '))) continue;
    }
    out.push(relative(ROOT, resolve(ROOT, dirname(file), spec!)));
  }
  return out;
}

test('no module in ovs-plugin/nics/ or ovs-plugin/planners/ imports a value from ovs-plugin/commands/', () => {
  const bad = [...filesUnder('ovs-plugin/nics'), ...filesUnder('ovs-plugin/planners')].flatMap((f) =>
    valueImports(f)
      .filter((i) => i.startsWith('ovs-plugin/commands/'))
      .map((i) => `${f} -> ${i}`),
  );
  assert.deepEqual(bad, []);
});

test('no import cycle among the files of ovs-plugin/ and lib/', () => {
  const files = [...filesUnder('ovs-plugin'), ...filesUnder('lib')];
  const edges = new Map(files.map((f) => [f, valueImports(f).filter((i) => files.includes(i))]));
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    path.push(f);
    for (const next of edges.get(f)!) {
      if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next].join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, []);
});

test('the import reader sees value imports and skips type-only ones', () => {
  const got = valueImports('ovs-plugin/nics/dhcp.ts');
  assert.ok(got.includes('lib/tools.ts'));
  assert.ok(!got.includes('ovs-plugin/nics/types.ts'));
});
