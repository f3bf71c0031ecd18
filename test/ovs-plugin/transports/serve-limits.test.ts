// Descriptor limits: the daemon derives its caps from its own RLIMIT_NOFILE (started here under
// `prlimit --nofile`), so pipelined commands that each spawn children, or more connections than
// it may hold, get answers or an error line (ETOOMANY) instead of `spawn ip EMFILE` killing it.
// Quiet connections get EIDLE and are closed. A spawn that fails anyway is an error, not a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Socket } from 'node:net';
import { run } from '../../../lib/exec.ts';
import { OvsPluginClient } from '../../../ovs-plugin/transports/client.ts';
import { serveLimits } from '../../../ovs-plugin/transports/limits.ts';
import { startOvs } from '../../helpers/ovs.ts';
import { ensureBundle, startDaemon } from '../helpers.ts';
import { connectRetrying, exchange } from './rpc.ts';

const vtep = (id: number, vnid: number, bridge = 'lo') =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'ovs.vtep-ensure', params: { bridge, vnid } }) + '\n';

/** A connection that records every line it receives and whether it closed. */
async function open(socket: string): Promise<{ s: Socket; lines: string[]; closed: () => boolean }> {
  const s = await connectRetrying(socket);
  const lines: string[] = [];
  let closed = false;
  let buf = '';
  s.setEncoding('utf8');
  s.on('data', (d) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  s.on('close', () => {
    closed = true;
  });
  s.on('error', () => undefined); // a refused one may see EPIPE/ECONNRESET; `closed` says what happened
  return { s, lines, closed: () => closed };
}

const until = async (what: string, cond: () => boolean, ms = 20000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

// Each ensure spawns `ip` (one call when the underlay is missing, seven when it makes the device):
// hundreds at once would need thousands of descriptors.
for (const [nofile, n, underlay] of [
  [1024, 900, 'nosuchlink'],
  [256, 200, 'lo'],
] as const) {
  test(
    `daemon under nofile ${nofile}: ` + `${n} pipelined vtep-ensure with distinct VNIs on ${underlay} are all answered`,
    async (t) => {
      await ensureBundle();
      const ovs = await startOvs(t, { vswitchd: false });
      const d = await startDaemon(t, ovs, 'plugin.sock', {}, { nofile });
      const l = serveLimits(nofile);
      assert.match(
        d.output(),
        new RegExp(`nofile=${nofile} maxConnections=${l.maxConnections} maxInflight=${l.maxInflight}`),
      );
      let text = '';
      for (let i = 1; i <= n; i++) text += vtep(i, 1000 + i, underlay);
      const t0 = Date.now();
      const replies = await exchange(d.socket, text, n, 240000);
      const windows = Math.ceil((Date.now() - t0) / 10_000) + 1; // warnings: 5 per 10 s window per client
      assert.equal(replies.length, n, d.output().slice(-2000));
      const want = (r: any) =>
        underlay === 'lo' ? r.result === `vtep${1000 + r.id}` : r.error?.data.code === 'ENOTFOUND';
      assert.deepEqual(
        replies.filter((r) => !want(r)),
        [],
        'each one answered as it should be',
      );
      assert.equal(d.proc.exitCode, null);
      assert.doesNotMatch(d.output(), /EMFILE|Unhandled|crashed/);
      const warned = (d.output().match(/^warn ovs-command-failed/gm) ?? []).length;
      if (underlay !== 'lo') assert.ok(warned <= 5 * windows, `${n} failures logged in ${warned} lines, not one each`);
    },
  );
}

for (const [nofile, n] of [
  [1024, 1010],
  [256, 300],
] as const) {
  test(
    `daemon under nofile ${nofile}: ${n} idle connections and one command; ` +
      `over the cap an ETOOMANY line, never a silent close`,
    async (t) => {
      await ensureBundle();
      const ovs = await startOvs(t, { vswitchd: false });
      const d = await startDaemon(t, ovs, 'plugin.sock', {}, { nofile });
      const max = serveLimits(nofile).maxConnections;
      const conns: Awaited<ReturnType<typeof open>>[] = [];
      for (let i = 0; i < n; i++) conns.push(await open(d.socket));
      t.after(() => {
        for (const c of conns) c.s.destroy();
      });
      await until('refusals', () => conns.filter((c) => c.closed()).length >= n - max);
      const refused = conns.filter((c) => c.closed());
      assert.equal(refused.length, n - max);
      for (const c of refused) {
        assert.equal(c.lines.length, 1, 'a refused client got a line before the close');
        assert.equal(JSON.parse(c.lines[0]!).error.data.code, 'ETOOMANY');
      }
      const [r] = await exchange(d.socket, vtep(1, 77), 1);
      assert.equal(r.error.data.code, 'ETOOMANY', 'the cap holds for the next one too');
      for (const c of conns.slice(0, 10)) c.s.destroy();
      await new Promise((res) => setTimeout(res, 200));
      assert.deepEqual(await exchange(d.socket, vtep(2, 77), 1), [{ jsonrpc: '2.0', id: 2, result: 'vtep77' }]);
      assert.equal(d.proc.exitCode, null);
      assert.ok(existsSync(d.socket));
      assert.ok(
        (d.output().match(/^warn ovs-connection-refused/gm) ?? []).length <= 10,
        'refusals are not logged one line each',
      );
    },
  );
}

test('daemon: a connection quiet for OVS_IDLE_TIMEOUT with nothing in flight gets EIDLE and is closed', async (t) => {
  await ensureBundle();
  const ovs = await startOvs(t, { vswitchd: false });
  const d = await startDaemon(t, ovs, 'plugin.sock', { OVS_IDLE_TIMEOUT: '300' });
  const c = await open(d.socket);
  c.s.write('{"jsonrpc":"2.0","id":1,"method":"ovs.nope"}\n');
  await until('the idle close', c.closed, 5000);
  assert.equal(c.lines.length, 2);
  assert.equal(JSON.parse(c.lines[0]!).id, 1);
  assert.deepEqual([JSON.parse(c.lines[1]!).id, JSON.parse(c.lines[1]!).error.data.code], [null, 'EIDLE']);
  // The typed client connects again on its next call.
  const client = await OvsPluginClient.connect(d.socket);
  t.after(() => client.close());
  assert.equal(await client.bridgeDel({ bridge: 'nosuch' }), '');
  await until(
    'the daemon closing the quiet client',
    () => (client as unknown as { sock?: unknown }).sock === undefined,
    5000,
  );
  assert.equal(await client.bridgeDel({ bridge: 'nosuch' }), '', 'a call after the idle close reconnects');
});

// The fixture runs bundled under plain node: through tsx, the loader's worker reads module files
// concurrently and, on a loaded machine, itself ran out of the 64 descriptors (EMFILE opening
// module files) before the fixture started. The fixture fills the table itself.
test('a spawn that fails for lack of descriptors is an error to the caller, not a crash', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'emfile-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const bundle = join(dir, 'spawn-emfile.mjs');
  await build({
    entryPoints: ['test/ovs-plugin/transports/fixtures/spawn-emfile.ts'],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'silent',
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  const r = await run('prlimit', ['--nofile=64:64', 'node', bundle], { timeoutMs: 60000 });
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual(out.codes, ['EEXEC_SPAWN', 'EEXEC_SPAWN', 'EEXEC_SPAWN', 'EEXEC_SPAWN', 'EEXEC_SPAWN']);
  assert.equal(out.after, 'ok', 'and the process lives on');
  // lib/exec listens to the child's own 'error' event: each failure reached its caller above, and
  // none was left for the spawn guard (it stays for any other spawn).
  assert.equal(out.logged, 0);
});
