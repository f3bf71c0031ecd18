// The daemon's background OVSDB link: not connected, ifRunning gives nothing and required() is
// EOVSDB_CONN after its bound; closing fails a waiter with ESHUTDOWN at once; a fake server that
// comes up later is picked up (the monitor started, required() answers at once).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../lib/log.ts';
import { readSettings } from '../../../ovs-plugin/settings.ts';
import { OvsdbLink } from '../../../ovs-plugin/transports/ovsdb-link.ts';
import { startFakeOvsdb } from '../../helpers/fake-ovsdb.ts';

const quiet = () => createLogger(() => undefined);

async function tempDir(t: import('node:test').TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ovs-link-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test(
  'OvsdbLink with nothing to reach: ifRunning none, required EOVSDB_CONN after ' +
    'the bound, close fails waiters ESHUTDOWN',
  async (t) => {
    const dir = await tempDir(t);
    const s = readSettings({ OVS_PLUGIN_STATE: join(dir, 'nics.json') });
    const link = new OvsdbLink(`unix:${join(dir, 'none.sock')}`, s, quiet(), 300);
    t.after(() => link.close());
    assert.equal(link.started, false);
    assert.equal(await link.ifRunning(), undefined);
    const t0 = performance.now();
    await assert.rejects(
      link.required(),
      (e: { code: string; details: { ms: number } }) => e.code === 'EOVSDB_CONN' && e.details.ms === 300,
    );
    assert.ok(performance.now() - t0 >= 250);
    const waiting = link.required();
    await link.close();
    await assert.rejects(waiting, (e: { code: string }) => e.code === 'ESHUTDOWN');
    await assert.rejects(link.required(), (e: { code: string }) => e.code === 'ESHUTDOWN', 'closed: no new wait');
  },
);

test('OvsdbLink: a malformed url is refused at once (before the daemon binds)', () => {
  const s = readSettings({});
  assert.throws(
    () => new OvsdbLink('http://x', s, quiet()),
    (e: { code: string; details: { field: string } }) => e.code === 'EINVALID' && e.details.field === 'db',
  );
});

test(
  'OvsdbLink: a server that comes up later is picked up; then ifRunning and ' +
    "required give the engine's context at once",
  async (t) => {
    const dir = await tempDir(t);
    const s = readSettings({ OVS_PLUGIN_STATE: join(dir, 'nics.json') });
    const db = join(dir, 'db.sock');
    const link = new OvsdbLink(`unix:${db}`, s, quiet(), 300);
    t.after(() => link.close());
    let up = 0;
    link.onFirstUp(() => up++);
    await assert.rejects(link.required(), (e: { code: string }) => e.code === 'EOVSDB_CONN');
    const fake = await startFakeOvsdb(t);
    await symlink(fake.path, db);
    const end = Date.now() + 30000;
    while (!link.started) {
      assert.ok(Date.now() < end, 'never connected');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(up, 1);
    assert.ok(
      fake.received.some((m) => m.method === 'monitor'),
      "the engine's monitor was sent",
    );
    const ctx = await link.required();
    assert.equal(ctx.env.datapathType, s.datapathType);
    assert.equal((await link.ifRunning()) !== undefined, true);
    let late = 0;
    link.onFirstUp(() => late++);
    assert.equal(late, 1, 'a listener added once it is up is called at once');
  },
);
