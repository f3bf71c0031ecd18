// Crash safety of the zerotier nic: the plugin SIGKILLed at every step of its attach and detach
// (OVS_PLUGIN_FAILPOINT, the steps of crash.ts STEPS.zerotier), then nic.gc: either attached (and
// OK on its network) or nothing (no member, no TAP, no home, no record; the default nic beside it
// untouched). A member the killed attach had started is found by its home and stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { listLinks } from '../../../lib/ip.ts';
import { runIn } from '../../../lib/netns.ts';
import { makeNetns } from '../../helpers/netns.ts';
import { ztNode, ztPidsUnder, ztWorld, type ZtNode } from '../../helpers/zerotier.ts';
import { BUNDLE } from '../helpers.ts';
import { STEPS } from './crash.ts';

/** Links of the container, the state file's records, the homes, the members. */
async function snapshot(n: ZtNode, c: string): Promise<string> {
  return JSON.stringify({
    links: (await listLinks({ name: c })).map((l) => l.ifname).sort(),
    records: JSON.parse(await readFile(n.state, 'utf8')).nics.map((r: { key: string; phase: string }) => [
      r.key,
      r.phase,
    ]),
    homes: await readdir(join(dirname(n.state), 'zerotier')).catch(() => []),
    members: (await ztPidsUnder(dirname(n.state))).length,
  });
}

/** One exec call of `n`'s plugin meant to die at `step`. */
async function killedAt(n: ZtNode, step: string, cmd: string, args: unknown): Promise<void> {
  const r = await runIn({ name: n.ns }, 'node', [BUNDLE, cmd, JSON.stringify(args)], {
    env: { ...n.env, OVS_PLUGIN_FAILPOINT: step },
    allowFailure: true,
    timeoutMs: 60_000,
  }).catch((err) => err);
  assert.equal(r.signal, 'SIGKILL', `${cmd} killed at ${step}: ${JSON.stringify(r.stdout ?? r.message)}`);
}

test('zerotier: SIGKILL at every attach and detach step, then gc -> attached or nothing', async (t) => {
  const w = await ztWorld(t);
  const n = await ztNode(t, w, 1);
  const c = await makeNetns(t, 'zc');
  const d = await n.call('nic.attach', { target: { netns: c }, nic: { type: 'default' } });
  assert.equal(d.exitCode, 0, d.stdout);
  const nwid = await w.network(21, true);
  const target = { netns: c };
  const nic = { type: 'zerotier', id: nwid };
  const nothing = await snapshot(n, c);
  for (const step of STEPS.zerotier.attach) {
    await killedAt(n, step, 'nic.attach', { target, nic });
    const gc = await n.call('nic.gc', {});
    assert.equal(gc.exitCode, 0, gc.stdout);
    assert.equal(gc.value.undone.length, 1, `${step}: gc undid the cut-short attach: ${gc.stdout}`);
    assert.equal(await snapshot(n, c), nothing, `${step}: nothing left`);
  }
  for (const step of STEPS.zerotier.detach) {
    const a = await n.call('nic.attach', { target, nic });
    assert.equal(a.exitCode, 0, a.stdout);
    const ck = await n.call('nic.check', { target, name: 'eth1' });
    assert.deepEqual(ck.value.drift, [], `${step}: attached and OK: ${ck.stdout}`);
    await killedAt(n, step, 'nic.detach', { target, name: 'eth1' });
    const gc = await n.call('nic.gc', {});
    assert.equal(gc.value.finished.length, 1, `${step}: gc finished the detach: ${gc.stdout}`);
    assert.equal(await snapshot(n, c), nothing, `${step}: nothing left`);
  }
});
