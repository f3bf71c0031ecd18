// A failed attach whose rollback is partial (an undo fails: OVS_PLUGIN_FAILPOINT `undo:<prefix>`)
// answers the original error, keeps its record `detaching` with the error, logs the failed
// undo, and nic.gc removes what was left (host veth, OVS port) and the record; a clean rollback
// drops the record and leaves nothing. Under the daemon, its log names the failed undo and its
// own gc finishes the record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ip, listLinks } from '../../../lib/ip.ts';
import { OvsPluginClient } from '../../../ovs-plugin/transports/client.ts';
import { portsOf, startDaemon } from '../helpers.ts';
import { nics } from './crash.ts';
import { container, nicEnv } from './helpers.ts';

/** Host links named as our host ends (`nh<hex>`). */
const hostEnds = async (ns: string): Promise<string[]> =>
  (await listLinks({ name: ns })).map((l) => l.ifname).filter((n) => /^nh[0-9a-f]{10}$/.test(n));

test(
  'vlan attach failing late while the undos of its veth and port fail: ' +
    'original error, record detaching with the error, gc removes veth, port and record',
  async (t) => {
    const e = await nicEnv(t);
    const c1 = await container(t);
    const nic = { type: 'vlan', id: 31, config: { cidr: '10.31.0.1/24' } };
    const r = await e.call(
      'nic.attach',
      { target: { netns: c1 }, nic },
      { OVS_PLUGIN_FAILPOINT: 'throw:attach:plugged,undo:delete veth,undo:remove port' },
    );
    assert.equal(r.exitCode, 1, r.stdout);
    assert.match(r.value.message, /attach:plugged: injected/, 'the answer is the original error');
    const [rec, ...more] = await nics(e);
    assert.equal(more.length, 0);
    assert.equal(rec.phase, 'detaching');
    assert.match(rec.error, /attach:plugged: injected.*not undone: .*delete veth nh[0-9a-f]{10}/);
    assert.match(rec.error, /remove port nh[0-9a-f]{10}/);
    assert.match(
      r.stderr,
      new RegExp(`undo-failed step="delete veth ${rec.host}"`),
      `the log names the failed undo: ${r.stderr}`,
    );
    assert.match(r.stderr, new RegExp(`undo-failed step="remove port ${rec.host}"`), r.stderr);
    assert.deepEqual(await hostEnds(e.host), [rec.host], 'the host veth was left');
    assert.deepEqual(await portsOf(e.ovs, 'vlbr31'), [rec.host], 'its port was left');
    const listed = (await e.call('nic.list', {})).value;
    assert.deepEqual(
      listed.map((x: any) => [x.phase, x.error]),
      [['detaching', rec.error]],
      'nic.list shows why',
    );

    const gc = await e.call('nic.gc', {});
    assert.equal(gc.exitCode, 0, gc.stdout);
    assert.deepEqual(gc.value.finished, [rec.key], gc.stdout);
    assert.deepEqual(await hostEnds(e.host), [], 'the host veth is gone');
    assert.deepEqual(await portsOf(e.ovs, 'vlbr31'), [], 'its port is gone');
    assert.deepEqual(
      (await listLinks({ name: c1 })).map((l) => l.ifname),
      ['lo'],
      'nothing in the container',
    );
    assert.deepEqual(await nics(e), []);
  },
);

test('bridge attach failing late with a clean rollback: original error, record dropped, nothing left', async (t) => {
  const e = await nicEnv(t);
  const c1 = await container(t);
  await ip({ name: e.host }, ['link', 'add', 'name', 'br31', 'address', '02:00:00:00:0d:31', 'type', 'bridge']);
  await ip({ name: e.host }, ['link', 'set', 'br31', 'up']);
  const before = await e.snapshot(c1);
  const r = await e.call(
    'nic.attach',
    { target: { netns: c1 }, nic: { type: 'bridge', id: 'br31', config: { cidr: '10.32.0.1/24' } } },
    { OVS_PLUGIN_FAILPOINT: 'throw:attach:plugged' },
  );
  assert.equal(r.exitCode, 1, r.stdout);
  assert.match(r.value.message, /attach:plugged: injected/);
  assert.doesNotMatch(r.stderr, /undo-failed/);
  assert.deepEqual(await nics(e), [], 'the record is dropped');
  assert.equal(await e.snapshot(c1), before, 'nothing left');
});

test('bridge attach whose veth undo fails: an identical attach finishes the leftover first and succeeds', async (t) => {
  const e = await nicEnv(t);
  const c1 = await container(t);
  await ip({ name: e.host }, ['link', 'add', 'name', 'br33', 'address', '02:00:00:00:0d:33', 'type', 'bridge']);
  await ip({ name: e.host }, ['link', 'set', 'br33', 'up']);
  const nic = { type: 'bridge', id: 'br33', name: 'eth0', config: { cidr: '10.33.0.1/24' } };
  const r = await e.call(
    'nic.attach',
    { target: { netns: c1 }, nic },
    { OVS_PLUGIN_FAILPOINT: 'throw:attach:plugged,undo:delete veth' },
  );
  assert.equal(r.exitCode, 1, r.stdout);
  const [left] = await nics(e);
  assert.equal(left.phase, 'detaching');
  assert.deepEqual(await hostEnds(e.host), [left.host]);
  const again = await e.call('nic.attach', { target: { netns: c1 }, nic });
  assert.equal(again.exitCode, 0, again.stdout);
  assert.deepEqual(await hostEnds(e.host), [again.value.host], 'only the new host veth');
  assert.deepEqual(
    (await nics(e)).map((x) => [x.phase, x.error]),
    [['attached', undefined]],
  );
});

test(
  'serve: the daemon logs the failed undo and its own gc finishes ' +
    'the record it kept (owner: the live daemon, no call in flight)',
  async (t) => {
    const e = await nicEnv(t);
    const c1 = await container(t);
    const d = await startDaemon(t, e.ovs, 'plugin.sock', {
      OVS_PLUGIN_STATE: e.state,
      OVS_PLUGIN_GC_MS: '0',
      OVS_PLUGIN_FAILPOINT: 'throw:attach:plugged,undo:delete veth',
    });
    const c = await OvsPluginClient.connect(d.socket);
    t.after(() => c.close());
    await assert.rejects(
      c.nicAttach({ target: { netns: c1 }, nic: { type: 'vlan', id: 34, config: { cidr: '10.34.0.1/24' } } }),
      (err: any) => /attach:plugged: injected/.test(err.message),
    );
    const [rec] = await nics(e);
    assert.equal(rec.phase, 'detaching');
    assert.match(d.output(), new RegExp(`undo-failed step="delete veth ${rec.host}"`), d.output());
    assert.deepEqual(await hostEnds(e.host), [rec.host]);
    assert.deepEqual((await c.nicGc()).finished, [rec.key]);
    assert.deepEqual(await hostEnds(e.host), []);
    assert.deepEqual(await nics(e), []);
  },
);
