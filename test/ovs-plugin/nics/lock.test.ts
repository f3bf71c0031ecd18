// The state file's lock dies with its holder: a process SIGKILLed while holding it leaves
// nothing that blocks the next one (an abstract unix socket the kernel unbinds, no lock files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockAddress, lockFile } from '../../../ovs-plugin/nics/lock.ts';
import { readState, updateState } from '../../../ovs-plugin/nics/state.ts';
import { fakeRecord } from './records.ts';

test('lock: held by a live process -> ELOCKED; SIGKILL the holder -> granted at once', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lock-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'nics.json.lock');
  const holder = spawn(
    'node',
    [
      '--import',
      'tsx',
      '-e',
      `import('${process.cwd()}/ovs-plugin/nics/lock.ts').then(async (m) => { ` +
        `await m.lockFile(${JSON.stringify(path)}); console.log('held'); setInterval(() => {}, 1000); })`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.after(() => {
    holder.kill('SIGKILL');
  });
  await new Promise<void>((res, rej) => {
    holder.stdout!.once('data', () => res());
    holder.once('exit', (c) => rej(new Error(`holder exited ${c}`)));
  });
  await assert.rejects(lockFile(path, 1000), (e: any) => e.code === 'ELOCKED');
  holder.kill('SIGKILL');
  await new Promise((res) => holder.once('exit', res));
  const t0 = Date.now();
  const l = await lockFile(path, 1000);
  assert.ok(Date.now() - t0 < 900, 'granted without waiting');
  // Two holders in one process exclude each other too (one open file description each).
  await assert.rejects(lockFile(path, 1000), (e: any) => e.code === 'ELOCKED');
  await l.release();
  await (await lockFile(path, 1000)).release();
});

test('state: updates are serialised and written atomically; a corrupt file is ESTATE and left alone', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'state-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'nics.json');
  assert.deepEqual(await readState(path), { version: 1, nics: [] });
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      updateState(path, (s) => {
        s.nics.push(fakeRecord(`k${i}`));
      }),
    ),
  );
  assert.equal((await readState(path)).nics.length, 20, 'no update lost');
  const { writeFile, readFile } = await import('node:fs/promises');
  await writeFile(path, '{"version":1,"nics":[');
  await assert.rejects(
    updateState(path, () => undefined),
    (e: any) => e.code === 'ESTATE',
  );
  assert.equal(await readFile(path, 'utf8'), '{"version":1,"nics":[');
});

test(
  'state: a file written from another network namespace is ' + 'ESTATE (its lock does not reach here) and left alone',
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'state-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'nics.json');
    const { writeFile, readFile } = await import('node:fs/promises');
    const foreign = '{"version":1,"host":{"dev":1,"ino":1},"nics":[]}\n';
    await writeFile(path, foreign);
    await assert.rejects(
      updateState(path, (s) => {
        s.nics.push(fakeRecord('k'));
      }),
      (e: any) => e.code === 'ESTATE',
    );
    assert.equal(await readFile(path, 'utf8'), foreign);
    // Ours: the first write records this namespace.
    await rm(path);
    await updateState(path, (s) => {
      s.nics.push(fakeRecord('k'));
    });
    const s = JSON.parse(await readFile(path, 'utf8'));
    assert.equal(s.nics.length, 1);
    assert.equal(typeof s.host.ino, 'number');
  },
);

test(
  'lock: its address needs the 0600 key beside it (no squatting ' +
    'by whoever knows the path); a key others can read is ESTATE',
  async (t) => {
    const { chmod, readFile, stat } = await import('node:fs/promises');
    const { createHash } = await import('node:crypto');
    const dir = await mkdtemp(join(tmpdir(), 'lock-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'nics.json.lock');
    const address = await lockAddress(path);
    assert.notEqual(address, `\0ovs-plugin-lock/${createHash('sha256').update(path).digest('hex')}`);
    assert.equal((await stat(`${path}.key`)).mode & 0o777, 0o600);
    assert.match(await readFile(`${path}.key`, 'utf8'), /^[0-9a-f]{64}\n$/);
    const other = join(dir, 'other.lock');
    await (await lockFile(other, 1000)).release();
    await chmod(`${other}.key`, 0o644);
    const fresh = spawn(
      'node',
      [
        '--import',
        'tsx',
        '-e',
        `import('${process.cwd()}/ovs-plugin/nics/lock.ts').then((m) => m.lockFile(${JSON.stringify(other)}, 1000))` +
          ".then(() => console.log('held'), (e) => console.log(e.code))",
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    fresh.stdout!.on('data', (d) => {
      out += d;
    });
    await new Promise((res) => fresh.once('exit', res));
    assert.equal(out.trim(), 'ESTATE');
  },
);
