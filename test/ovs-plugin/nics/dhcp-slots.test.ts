// A wait for a DHCP lease holds no command slot of the daemon: more DHCP attaches than slots,
// with no server answering, each wait the whole OVS_PLUGIN_DHCP_WAIT_MS, while another client's
// cheap command is answered at once instead of after the waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { getLink, ip } from '../../../lib/ip.ts';
import { OvsPluginClient } from '../../../ovs-plugin/transports/client.ts';
import { serveLimits } from '../../../ovs-plugin/transports/limits.ts';
import { startDaemon } from '../helpers.ts';
import { container, nicEnv } from './helpers.ts';

const WAIT_MS = 15_000;

test('daemon: DHCP attaches waiting for a lease (more than its slots) leave its slots to other clients', async (t) => {
  const e = await nicEnv(t, { backplane: false });
  await ip({ name: e.host }, ['link', 'add', 'name', 'br0', 'type', 'bridge']);
  await ip({ name: e.host }, ['link', 'set', 'br0', 'up']); // no DHCP server on it
  const nofile = 256;
  const slots = serveLimits(nofile).maxInflight;
  const n = slots + 3;
  const d = await startDaemon(
    t,
    e.ovs,
    'plugin.sock',
    { OVS_PLUGIN_STATE: e.state, OVS_PLUGIN_DHCP_WAIT_MS: String(WAIT_MS) },
    { nofile },
  );
  // Safety net: whatever this test leaves running, its udhcpc clients are stopped.
  t.after(async () => {
    const recs = JSON.parse(await readFile(e.state, 'utf8').catch(() => '{"nics":[]}')).nics;
    for (const r of recs) {
      const pid = Number((await readFile(r.dhcp?.pidfile ?? '/nonexistent', 'utf8').catch(() => '')).trim());
      if (pid > 1)
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
    }
  });
  const targets: string[] = [];
  for (let i = 0; i < n; i++) targets.push(await container(t));
  const attacher = await OvsPluginClient.connect(d.socket);
  t.after(() => attacher.close());
  const t0 = Date.now();
  const attaches = targets.map((c) =>
    attacher.nicAttach({ target: { netns: c }, nic: { type: 'bridge', id: 'br0', config: { dhcp: true } } }),
  );
  // An attach is in its wait once its nic is inside its container under its final name.
  const waiting = async () =>
    (await Promise.all(targets.map((c) => getLink({ name: c }, 'eth0')))).filter((l) => l).length;
  const until = async (what: string, k: number) => {
    while ((await waiting()) < k) {
      assert.ok(Date.now() - t0 < WAIT_MS, what);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await until('as many attaches as the daemon has slots reached their DHCP wait', slots);
  const other = await OvsPluginClient.connect(d.socket);
  t.after(() => other.close());
  const t1 = Date.now();
  assert.equal(await other.bridgeDel({ bridge: 'nosuch' }), '');
  assert.equal((await other.nicList({ target: { netns: targets[0]! } })).length, 1);
  const took = Date.now() - t1;
  assert.ok(
    took < WAIT_MS / 3,
    `another client's commands took ${took} ms while ${slots} DHCP attaches waited for a lease`,
  );
  assert.ok(Date.now() - t0 < WAIT_MS, 'they were answered while the attaches still waited');
  await until('the attaches beyond the slots reached their wait too, before the first waits ended', n);

  const results = await Promise.all(attaches);
  assert.ok(Date.now() - t0 >= WAIT_MS, 'each attach waited its whole DHCP wait');
  assert.deepEqual(
    results.map((r) => r.addresses),
    results.map(() => []),
    'no server: no lease, the client keeps trying',
  );
  for (const c of targets) await attacher.nicDetach({ target: { netns: c }, name: 'eth0' });
  assert.deepEqual(await attacher.nicList(), []);
  assert.equal(d.proc.exitCode, null);
});
