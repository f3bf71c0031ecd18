// lib/udhcpc-hook.ts scriptInPlace: a missing script is "not in place" (it is written); a path it
// cannot read for another reason (a directory there) is an error, never taken for "write it over".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scriptInPlace } from '../../lib/udhcpc-hook.ts';

test(
  'scriptInPlace: missing -> false; same text and executable -> true; ' + 'a directory in its place -> thrown',
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hook-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const p = join(dir, 'hook.sh');
    assert.equal(await scriptInPlace(p, '#!/bin/sh\n'), false);
    await writeFile(p, '#!/bin/sh\n');
    assert.equal(await scriptInPlace(p, '#!/bin/sh\n'), false, 'not executable');
    await chmod(p, 0o755);
    assert.equal(await scriptInPlace(p, '#!/bin/sh\n'), true);
    const d = join(dir, 'as-dir');
    await mkdir(d);
    await assert.rejects(scriptInPlace(d, '#!/bin/sh\n'), (e: NodeJS.ErrnoException) => e.code === 'EISDIR');
  },
);
