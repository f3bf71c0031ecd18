// lib/atomic-file.ts: whole-file writes, also many at once of one file in one process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/atomic-file.ts';

for (const sync of [true, false]) {
  test(`writeFileAtomic (${sync ? 'fsync' : 'no fsync'}): 50 writes of one file at once all land whole`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'zos-atomic-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'sub', 'f.json');
    const texts = Array.from({ length: 50 }, (_, i) => `${JSON.stringify({ i, pad: 'x'.repeat(i * 100) })}\n`);
    await Promise.all(texts.map((x) => writeFileAtomic(path, x, 0o600, { sync })));
    assert.ok(texts.includes(await readFile(path, 'utf8')), 'the file is one of the writes, whole');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(join(dir, 'sub')), ['f.json'], 'no temporary file is left');
  });
}
