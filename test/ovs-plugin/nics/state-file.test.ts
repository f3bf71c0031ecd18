// The state file damaged (empty, a record of the wrong shape, a directory in its place) is
// ESTATE naming the problem for every nic.* command, nic.list included, and never "nothing
// attached"; each write keeps the previous generation, which nic.state-restore puts back; on a
// full file system a failed write leaves no temporary file behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../lib/exec.ts';
import { readState, updateState } from '../../../ovs-plugin/nics/state.ts';
import { restoreState } from '../../../ovs-plugin/nics/state-restore.ts';
import { BUNDLE, ensureBundle, unframe } from '../helpers.ts';
import { fakeRecord } from './records.ts';

const dirOf = async (t: { after(fn: () => Promise<void>): void }) => {
  const dir = await mkdtemp(join(tmpdir(), 'nicstate-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
};

/** Every nic.* command through the bundle (exec) with state `path`: the answers. */
async function everyCommand(path: string, dir: string): Promise<Record<string, { code?: string; message?: string }>> {
  const env = { ...(process.env as Record<string, string>), OVS_PLUGIN_STATE: path, OVS_DB: `unix:${dir}/no-db.sock` };
  const calls: [string, unknown][] = [
    ['nic.list', {}],
    ['nic.gc', {}],
    ['nic.detach', { target: { netns: 'c-k0' }, name: 'eth0' }],
    ['nic.check', { target: { netns: 'c-k0' }, name: 'eth0' }],
    ['nic.attach', { target: { kvm: 'vm1' }, nic: { type: 'bridge', id: 'br0' } }],
  ];
  const out: Record<string, { code?: string; message?: string }> = {};
  for (const [cmd, args] of calls) {
    const r = await run('node', [BUNDLE, cmd, JSON.stringify(args)], { env, allowFailure: true, timeoutMs: 30000 });
    out[cmd] = unframe(r.stdout) as { code?: string; message?: string };
  }
  return out;
}

test(
  'state: an empty file, a record of the wrong shape, a directory: ' +
    'ESTATE naming the problem for every nic.* command, nic.list included',
  async (t) => {
    await ensureBundle();
    const dir = await dirOf(t);
    const path = join(dir, 'nics.json');
    const good = fakeRecord('k0');
    const cases: [string, () => Promise<void>, RegExp][] = [
      ['empty', () => writeFile(path, ''), /is empty/],
      [
        'host missing',
        async () => {
          const { host: _h, ...r } = good;
          await writeFile(path, JSON.stringify({ version: 1, nics: [r] }));
        },
        /record 0 \(.*k0\): field "host"/,
      ],
      [
        'owner wrong',
        () => writeFile(path, JSON.stringify({ version: 1, nics: [good, { ...good, key: 'k1', owner: 'me' }] })),
        /record 1 \(.*k1\): field "owner"/,
      ],
      [
        'a directory',
        async () => {
          await mkdir(path);
        },
        /EISDIR/,
      ],
    ];
    for (const [what, make, names] of cases) {
      await rm(path, { recursive: true, force: true });
      await make();
      await assert.rejects(
        readState(path),
        (e: any) => e.code === 'ESTATE' && names.test(e.message) && e.message.includes(path),
        what,
      );
      await assert.rejects(
        updateState(path, () => undefined),
        (e: any) => e.code === 'ESTATE',
        what,
      );
      for (const [cmd, v] of Object.entries(await everyCommand(path, dir))) {
        assert.equal(v.code, 'ESTATE', `${what}: ${cmd} answers ESTATE: ${JSON.stringify(v)}`);
        assert.match(v.message ?? '', names, `${what}: ${cmd} names the problem`);
      }
    }
  },
);

test(
  'state: each write keeps the previous generation; ' +
    'nic.state-restore puts it back over a damaged file, kept aside',
  async (t) => {
    const dir = await dirOf(t);
    const path = join(dir, 'nics.json');
    await updateState(path, (s) => {
      s.nics.push(fakeRecord('k0'));
    });
    await updateState(path, (s) => {
      s.nics.push(fakeRecord('k1'));
    });
    assert.deepEqual(
      (await readState(`${path}.prev`)).nics.map((r) => r.key),
      ['k0'],
      'the generation before the last write',
    );
    assert.deepEqual(await restoreState(path), { restored: false, nics: 2 }, 'a good file is left alone');
    await writeFile(path, '');
    const r = await restoreState(path);
    assert.equal(r.restored, true);
    assert.equal(r.nics, 1);
    assert.deepEqual(
      (await readState(path)).nics.map((x) => x.key),
      ['k0'],
    );
    assert.equal(await readFile(r.damaged!, 'utf8'), '', 'the damaged file is kept aside');
    // Neither generation good: ESTATE, nothing changed.
    await writeFile(path, '{');
    await writeFile(`${path}.prev`, '');
    await assert.rejects(
      restoreState(path),
      (e: any) => e.code === 'ESTATE' && /previous generation is damaged/.test(e.message),
    );
    assert.equal(await readFile(path, 'utf8'), '{');
    // Through the bundle, as an operator runs it.
    await ensureBundle();
    await writeFile(`${path}.prev`, JSON.stringify({ version: 1, nics: [fakeRecord('k2')] }));
    const out = await run('node', [BUNDLE, 'nic.state-restore', '{}'], {
      env: { ...(process.env as Record<string, string>), OVS_PLUGIN_STATE: path },
      allowFailure: true,
    });
    assert.deepEqual((unframe(out.stdout) as any).nics, 1, out.stdout);
    assert.deepEqual(
      (await readState(path)).nics.map((x) => x.key),
      ['k2'],
    );
  },
);

// Runs `script` (ESM, with tsx) in a private mount namespace where `dir` is a 64 KiB tmpfs.
const onSmallTmpfs = (dir: string, script: string) =>
  run(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      `mount -t tmpfs -o size=64k tmpfs "$1" && exec node --import tsx --input-type=module -e "$2"`,
      'sh',
      dir,
      script,
    ],
    { allowFailure: true, timeoutMs: 60000 },
  );

test(
  'state: on a full file system every failed write leaves ' + 'no temporary file, and the last good file stays',
  async (t) => {
    const dir = await dirOf(t);
    const script = `
    import { readdir, writeFile } from 'node:fs/promises';
    const { updateState, readState } = await import('${process.cwd()}/ovs-plugin/nics/state.ts');
    const { fakeRecord } = await import('${process.cwd()}/test/ovs-plugin/nics/records.ts');
    const path = '${dir}/nics.json';
    await updateState(path, (s) => { s.nics.push(fakeRecord('k0')); });
    await writeFile('${dir}/filler', Buffer.alloc(40 * 1024));
    const codes = [];
    for (let i = 0; i < 14; i++) {
      await updateState(path, (s) => { for (let j = 0; j < 60; j++) s.nics.push(fakeRecord('big' + i + '-' + j)); })
        .then(() => codes.push('ok'), (e) => codes.push(e.code));
    }
    const files = (await readdir('${dir}')).sort();
    console.log(JSON.stringify({ codes, files, keys: (await readState(path)).nics.map((r) => r.key) }));
  `;
    const r = await onSmallTmpfs(dir, script);
    assert.equal(r.exitCode, 0, r.stderr);
    const v = JSON.parse(r.stdout);
    assert.ok(
      v.codes.every((c: string) => c === 'ENOSPC'),
      `every write failed for want of space: ${v.codes}`,
    );
    assert.deepEqual(
      v.files.filter((f: string) => f.endsWith('.tmp')),
      [],
      'no temporary file left',
    );
    assert.deepEqual(v.keys, ['k0'], 'the last good state stays');
    assert.deepEqual(await readdir(dir), [], 'the tmpfs was private to the test');
  },
);
