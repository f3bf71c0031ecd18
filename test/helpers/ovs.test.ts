// The private-OVS harness itself: startup, snapshots that ignore ovs-vswitchd's own writes,
// restart keeping the data, and a stop that leaves no process or file behind.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { run } from '../../lib/exec.ts';
import { randomName } from './netns.ts';
import { startOvs } from './ovs.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('startOvs: bridge in the test namespace, stable snapshot, restartDb keeps data, stop cleans up', async (t) => {
  const ovs = await startOvs(t);
  t.diagnostic(`ovs-vswitchd control socket up ${ovs.vswitchdStartMs} ms after spawn`);
  const br = randomName('br');
  const t0 = performance.now();
  await ovs.addBridge(br);
  t.diagnostic(`ovs-vsctl add-br (netdev, waits for vswitchd): ${Math.round(performance.now() - t0)} ms`);
  assert.match((await run('ip', ['-n', ovs.ns, '-o', 'link'])).stdout, new RegExp(`: ${br}:`));
  assert.doesNotMatch((await run('ip', ['-o', 'link'])).stdout, new RegExp(`: ${br}:`), 'not in the machine namespace');
  const tables = await ovs.dumpTables();
  assert.deepEqual(
    tables.Bridge!.map((r) => r.name),
    [br],
  );
  assert.equal(tables.Bridge![0]!.datapath_type, 'netdev');

  const before = await ovs.snapshot();
  await new Promise((r) => setTimeout(r, 5500)); // ovs-vswitchd refreshes stats/status every 5 s
  assert.equal(await ovs.snapshot(), before, "ovs-vswitchd's own updates are not in the snapshot");

  await ovs.restartDb();
  assert.equal(await ovs.vsctl('list-br'), br);
  const pids = ['ovsdb-server', 'ovs-vswitchd'].map((d) => Number(readFileSync(`${ovs.dir}/${d}.pid`, 'utf8').trim()));
  assert.ok(pids.every(alive));
  await ovs.stop();
  assert.ok(!pids.some(alive), 'daemons are gone');
  assert.equal(existsSync(ovs.dir), false, 'temp dir removed');
});
