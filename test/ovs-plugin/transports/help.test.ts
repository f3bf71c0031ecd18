// The human usage: --help, -h and help print every command with its arguments and an example,
// exit 0; `help <command>` prints one. The declared arguments are the ones the command accepts
// (checked here per command), so the usage cannot drift from the validators.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../lib/exec.ts';
import { COMMANDS } from '../../../ovs-plugin/commands/registry.ts';
import { BUNDLE, ensureBundle, unframe } from '../helpers.ts';

const noDb = { ...(process.env as Record<string, string>), OVS_DB: 'unix:/nonexistent.sock' };

test('--help, -h, help: every command, its arguments and an example; exit 0, no framing', async () => {
  await ensureBundle();
  for (const flag of ['--help', '-h', 'help']) {
    const r = await run('node', [BUNDLE, flag], { env: noDb, timeoutMs: 20000 });
    assert.equal(r.exitCode, 0);
    assert.doesNotMatch(r.stdout, /^20:::/);
    for (const [name, c] of Object.entries(COMMANDS)) {
      assert.ok(r.stdout.includes(`${name} - ${c.usage.summary}`), `${flag} lists ${name}`);
      assert.ok(
        r.stdout.includes(`ovs-plugin ${name} '${JSON.stringify(c.usage.example)}'`),
        `${flag} shows an example of ${name}`,
      );
      for (const a of c.usage.args)
        assert.match(r.stdout, new RegExp(`\\n {4}${a.name} +(required|optional)`), `${name} ${a.name}`);
    }
  }
  const one = await run('node', [BUNDLE, 'help', 'vlan-ensure'], { env: noDb, timeoutMs: 20000 });
  assert.match(one.stdout, /^ovs\.vlan-ensure - /);
  assert.doesNotMatch(one.stdout, /bridge-add/);
  const unknown = await run('node', [BUNDLE, 'help', 'nope'], { env: noDb, allowFailure: true, timeoutMs: 20000 });
  assert.equal(unknown.exitCode, 2);
  assert.match(unknown.stdout, /EUNKNOWN/);
});

test('each command accepts exactly its declared arguments: the example passes, unknown and missing ones fail', () => {
  for (const [name, c] of Object.entries(COMMANDS)) {
    assert.doesNotThrow(() => c.validate(c.usage.example), name);
    assert.throws(
      () => c.validate({ ...c.usage.example, surplus: 1 }),
      (e: any) => e.code === 'EINVALID' && e.details.field === 'surplus',
      name,
    );
    for (const a of c.usage.args) {
      if (!a.required) continue;
      const rest = { ...c.usage.example } as Record<string, unknown>;
      delete rest[a.name];
      assert.throws(
        () => c.validate(rest),
        (e: any) => e.code === 'EINVALID' && e.details.field === a.name,
        `${name} without ${a.name}`,
      );
    }
  }
});

test('exec: extra arguments after the JSON are a usage error, before connecting', async () => {
  await ensureBundle();
  const r = await run('node', [BUNDLE, 'bridge-add', '{"bridge":"b"}', 'extra'], {
    env: noDb,
    allowFailure: true,
    timeoutMs: 20000,
  });
  assert.equal(r.exitCode, 1);
  assert.equal((unframe(r.stdout) as { code: string }).code, 'EUSAGE');
});
