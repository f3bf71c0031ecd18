// A bad environment setting stops the plugin before it does anything: the daemon exits 2 with a
// log line naming the variable and its accepted range (no socket bound, no OVSDB reached); an
// exec call answers the framed EINVALID with `field` = the variable, exit 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../lib/exec.ts';
import { BUNDLE, ensureBundle, unframe } from '../helpers.ts';

const env = (vars: Record<string, string>): Record<string, string> => ({
  ...(process.env as Record<string, string>),
  OVS_DB: 'unix:/nonexistent.sock',
  ...vars,
});

test('daemon: OVS_PLUGIN_GC_MS=60s -> exit 2, the log names the variable and 0..86400000; no socket', async (t) => {
  await ensureBundle();
  const dir = await mkdtemp(join(tmpdir(), 'bad-setting-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const sock = join(dir, 'plugin.sock');
  const r = await run('node', [BUNDLE, 'serve', '--socket', sock], {
    env: env({ OVS_PLUGIN_GC_MS: '60s' }),
    allowFailure: true,
    timeoutMs: 20000,
  });
  const out = r.stdout + r.stderr;
  assert.equal(r.exitCode, 2, out);
  assert.match(out, /ovs-plugin-bad-setting .*field=OVS_PLUGIN_GC_MS/);
  assert.match(out, /OVS_PLUGIN_GC_MS: \\"60s\\" is not 0\.\.86400000 \(ms\)/);
  assert.equal(existsSync(sock), false);
});

test('exec: OVS_PLUGIN_DHCP_WAIT_MS=abc -> framed {code: EINVALID, field, message}, exit 1', async () => {
  await ensureBundle();
  for (const cmd of ['nic.list', 'ovs.bridge-add']) {
    const r = await run('node', [BUNDLE, cmd, cmd === 'nic.list' ? '{}' : '{"bridge":"b"}'], {
      env: env({ OVS_PLUGIN_DHCP_WAIT_MS: 'abc' }),
      allowFailure: true,
      timeoutMs: 20000,
    });
    assert.equal(r.exitCode, 1, r.stdout);
    assert.deepEqual(unframe(r.stdout), {
      code: 'EINVALID',
      field: 'OVS_PLUGIN_DHCP_WAIT_MS',
      message: 'OVS_PLUGIN_DHCP_WAIT_MS: "abc" is not 0..600000 (ms)',
    });
  }
});
