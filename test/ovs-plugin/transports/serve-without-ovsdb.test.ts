// The daemon on a node without Open vSwitch: it binds and serves at once; what needs no OVSDB
// (nic.list, a bridge nic) runs, what needs it is EOVSDB_CONN after OVS_TIMEOUT (never a hang);
// an ovsdb-server that comes up later is picked up; SIGTERM ends it cleanly, OVSDB or not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ip } from '../../../lib/ip.ts';
import { OvsPluginClient } from '../../../ovs-plugin/transports/client.ts';
import { makeNetns } from '../../helpers/netns.ts';
import { startOvs } from '../../helpers/ovs.ts';
import { ensureBundle, startDaemon } from '../helpers.ts';
import { pings } from '../nics/helpers.ts';
import { exchange } from './rpc.ts';

/** A host namespace with Linux bridge br0 (10.9.0.1/24), a temp dir, and an OVSDB url nobody serves there yet. */
async function nodeWithoutOvs(t: import('node:test').TestContext) {
  await ensureBundle();
  const ns = await makeNetns(t, 'tnov');
  await ip({ name: ns }, ['link', 'add', 'name', 'br0', 'type', 'bridge']);
  await ip({ name: ns }, ['addr', 'add', '10.9.0.1/24', 'dev', 'br0']);
  await ip({ name: ns }, ['link', 'set', 'br0', 'up']);
  const dir = await mkdtemp(join(tmpdir(), 'ovs-none-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const db = join(dir, 'db.sock');
  return { ns, dir, db, url: `unix:${db}` };
}

/** The code of a failed call (the daemon's AppError). */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code: string }).code;
  }
  assert.fail('the call succeeded');
}

test(
  'serve without OVSDB: nic.list and a bridge nic at once, ovs.bridge-add EOVSDB_CONN within ' +
    'OVS_TIMEOUT; a later ovsdb-server is picked up; SIGTERM',
  async (t) => {
    const node = await nodeWithoutOvs(t);
    const state = join(node.dir, 'nics.json');
    const d = await startDaemon(t, node, 'plugin.sock', { OVS_TIMEOUT: '1000', OVS_PLUGIN_STATE: state });
    assert.match(d.output(), /ovs-plugin-serving .*ovsdb=connecting/, 'serving before OVSDB was reached');
    const c = await OvsPluginClient.connect(d.socket);
    t.after(() => c.close());

    assert.deepEqual(await c.call('nic.list', {}), []);
    const container = await makeNetns(t, 'tc');
    const target = { netns: container };
    const nic = await c.call<{ name: string; bridge: string }>('nic.attach', {
      target,
      nic: { type: 'bridge', id: 'br0', config: { cidr: '10.9.0.2/24' } },
    });
    assert.equal(nic.bridge, 'br0');
    assert.ok(await pings(container, '10.9.0.1'), 'the host answers through br0');
    assert.equal((await c.call<unknown[]>('nic.list', {})).length, 1);
    await c.call('nic.detach', { target, name: nic.name });
    assert.deepEqual(await c.call('nic.list', {}), []);

    // Needs OVSDB: the typed connection error after the bound (1 s), well before the client's own 10 s.
    const t0 = performance.now();
    assert.equal(await codeOf(c.call('ovs.bridge-add', { bridge: 'brx' })), 'EOVSDB_CONN');
    const ms = performance.now() - t0;
    assert.ok(ms >= 900 && ms < 8000, `answered after ${Math.round(ms)} ms`);
    // The same on the raw wire: the error says it is OVSDB's connection.
    const [r] = await exchange(
      d.socket,
      `${JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ovs.bridge-add', params: { bridge: 'brx' } })}\n`,
      1,
      20000,
    );
    assert.equal(r.error?.data?.code, 'EOVSDB_CONN', JSON.stringify(r));
    assert.match(r.error.data.message, /OVS_TIMEOUT/);

    // Open vSwitch comes up later, at the url the daemon was given.
    const ovs = await startOvs(t, { ns: node.ns });
    await symlink(ovs.sock, node.db);
    const end = Date.now() + 60000;
    while (!d.output().includes('ovsdb-connected')) {
      assert.ok(Date.now() < end, `OVSDB never picked up: ${d.output()}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    await c.call('ovs.bridge-add', { bridge: 'brx' });
    assert.equal(await ovs.vsctl('br-exists', 'brx'), '');
    assert.deepEqual(await c.call('nic.list', {}), [], 'the rest still works');

    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0, d.output());
    assert.equal(existsSync(d.socket), false, 'socket removed');
    assert.match(d.output(), /ovs-plugin-stopped/);
  },
);

test(
  'serve without OVSDB: SIGTERM while a request waits for OVSDB answers ' + 'it ESHUTDOWN at once and exits 0',
  async (t) => {
    const node = await nodeWithoutOvs(t);
    const d = await startDaemon(t, node, 'plugin.sock', {
      OVS_TIMEOUT: '600000',
      OVS_PLUGIN_STATE: join(node.dir, 'nics.json'),
    });
    const c = await OvsPluginClient.connect(d.socket);
    t.after(() => c.close());
    const waiting = codeOf(c.call('ovs.bridge-add', { bridge: 'brx' }));
    // Whether it is already waiting or not yet read when the signal lands, the answer is ESHUTDOWN.
    await new Promise((res) => setTimeout(res, 200));
    const t0 = performance.now();
    d.proc.kill('SIGTERM');
    assert.equal(await waiting, 'ESHUTDOWN');
    assert.equal(await d.exited, 0, d.output());
    assert.ok(performance.now() - t0 < 30000, 'not held for OVS_TIMEOUT');
    assert.equal(existsSync(d.socket), false);
    assert.match(d.output(), /ovs-plugin-stopping .*ovsdb="not connected"/);
  },
);
