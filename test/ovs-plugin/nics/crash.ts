// Crash safety, the runner each crash-*.test.ts calls for its kinds (one file per group, so
// each stays within the per-file timeout on a loaded machine): the plugin SIGKILLed at every
// step of the kind's attach and detach (OVS_PLUGIN_FAILPOINT), then nic.gc: the system is either
// "attached" or "nothing", never in between.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { run } from '../../../lib/exec.ts';
import { ip } from '../../../lib/ip.ts';
import { runIn } from '../../../lib/netns.ts';
import type { Kind } from '../../../ovs-plugin/nics/types.ts';
import { BUNDLE, pluginEnv } from '../helpers.ts';
import { container, nicEnv, pings, type NicEnv } from './helpers.ts';
import { fakeNr } from './nr-fixture.ts';

/** The steps of a kind whose host end (veth or tap) is plugged into a bridge. */
const PLUGGED = {
  attach: [
    'attach:recorded',
    'attach:bridge',
    'attach:veth',
    'attach:plugged',
    'attach:renamed',
    'attach:dns',
    'attach:done',
  ],
  detach: ['detach:recorded', 'detach:unplugged', 'detach:deleted', 'detach:done'],
};

/** The failpoints of each kind's attach and detach, in order. */
export const STEPS: Record<Kind, { attach: string[]; detach: string[] }> = {
  vlan: PLUGGED,
  vxlan: PLUGGED,
  default: PLUGGED,
  bridge: PLUGGED,
  macvlan: {
    attach: ['attach:recorded', 'attach:created', 'attach:moved', 'attach:renamed', 'attach:dns', 'attach:done'],
    detach: ['detach:recorded', 'detach:deleted', 'detach:done'],
  },
  // Run by test/ovs-plugin/fleet/crash.test.ts (it needs an OVN central and ovn-controller).
  fleet: PLUGGED,
  // network: no dns (refused for the kind), so no attach:dns; the ULA and routes after the inside.
  network: {
    attach: [
      'attach:recorded',
      'attach:bridge',
      'attach:veth',
      'attach:plugged',
      'attach:renamed',
      'attach:routes',
      'attach:done',
    ],
    detach: ['detach:recorded', 'detach:unplugged', 'detach:deleted', 'detach:done'],
  },
  // zerotier: its own runner (crash-zerotier.test.ts: a private network); no host link, no dns.
  zerotier: {
    attach: ['attach:recorded', 'attach:home', 'attach:started', 'attach:joined', 'attach:done'],
    detach: ['detach:recorded', 'detach:left', 'detach:stopped', 'detach:done'],
  },
  passthrough: {
    attach: ['attach:recorded', 'attach:down', 'attach:moved', 'attach:renamed', 'attach:dns', 'attach:done'],
    detach: ['detach:recorded', 'detach:moved', 'detach:done'],
  },
};

/** Runs one exec call that is meant to die at `step`: SIGKILL, no answer. */
export async function killedAt(e: NicEnv, step: string, cmd: string, args: unknown): Promise<void> {
  const r = await runIn({ name: e.host }, 'node', [BUNDLE, cmd, JSON.stringify(args)], {
    env: { ...pluginEnv(e.ovs), OVS_PLUGIN_STATE: e.state, OVS_PLUGIN_FAILPOINT: step },
    allowFailure: true,
    timeoutMs: 30000,
  }).catch((err) => err);
  assert.equal(r.signal, 'SIGKILL', `${cmd} killed at ${step}: ${JSON.stringify(r.stdout ?? r.message)}`);
}

/** The records in the state file ([] when it does not exist). */
export const nics = async (e: NicEnv) =>
  JSON.parse(await readFile(e.state, 'utf8').catch(() => '{"nics":[]}')).nics as any[];

/** The crash test of one kind: SIGKILL at each of its attach and detach steps, then gc. */
export function crashTest(kind: Kind): void {
  const steps = STEPS[kind];
  test(`${kind}: SIGKILL at every attach and detach step, then gc -> attached or nothing`, async (t) => {
    const e = await nicEnv(t);
    const c1 = await container(t);
    const peer = await container(t);
    await ip({ name: e.host }, ['link', 'add', 'name', 'br0', 'address', '02:00:00:00:0d:01', 'type', 'bridge']);
    await ip({ name: e.host }, ['link', 'set', 'br0', 'up']);
    await ip({ name: e.host }, [
      'link',
      'add',
      'name',
      'vh0',
      'address',
      '02:00:00:00:0d:02',
      'type',
      'veth',
      'peer',
      'name',
      'vp0',
      'netns',
      peer,
    ]);
    await ip({ name: e.host }, ['link', 'set', 'vh0', 'up']);
    await ip({ name: peer }, ['link', 'set', 'vp0', 'up']);
    const root = e.ovs.dir;
    await run('mkdir', ['-p', `${root}/etc`]);
    if (kind === 'vxlan') {
      await e.ovs.addBridge('vxbackend');
      await ip({ name: e.host }, ['link', 'set', 'vxbackend', 'up']);
    }
    // network: an NR of 10.7.0.0/24 made by hand (its gateway .1 in a namespace of its own).
    const nr = kind === 'network' ? await fakeNr(t, e, { subnet: '10.7.0.0/24', ipRange: '10.7.0.0/16' }) : undefined;
    const id =
      kind === 'vlan'
        ? 10
        : kind === 'vxlan'
          ? 100
          : kind === 'bridge'
            ? 'br0'
            : kind === 'default'
              ? undefined
              : nr
                ? nr.netid
                : 'vh0';
    const veth = ['vlan', 'vxlan', 'bridge', 'default', 'network'].includes(kind);
    // The network nic's address is allocated: the lowest free, .3 (the peer holds .2).
    const nic = nr
      ? { type: kind, id }
      : {
          type: kind,
          id,
          root,
          config: { ...(kind === 'default' ? {} : { cidr: '10.7.0.1/24' }), dns: ['10.7.0.53'] },
        };
    if (veth) {
      // A peer attached throughout (it must survive every crash and gc untouched); it also makes
      // the VLAN bridge exist, which a rolled-back attach legitimately leaves.
      await ip({ name: peer }, ['link', 'del', 'vp0']);
      const pr = await e.call('nic.attach', {
        target: { netns: peer },
        nic: { type: kind, id, ...(kind === 'default' ? {} : { config: { cidr: '10.7.0.2/24' } }) },
      });
      assert.equal(pr.exitCode, 0, pr.stdout);
    } else {
      await ip({ name: peer }, ['addr', 'add', '10.7.0.2/24', 'dev', 'vp0']);
    }
    const nothing = await e.snapshot(c1, peer);
    const target = { netns: c1 };
    for (const step of steps.attach) {
      await killedAt(e, step, 'nic.attach', { target, nic });
      const gc = await e.call('nic.gc', {});
      assert.equal(gc.exitCode, 0, gc.stdout);
      assert.equal(gc.value.undone.length, 1, `${step}: gc undid the cut-short attach: ${gc.stdout}`);
      assert.equal(await e.snapshot(c1, peer), nothing, `${step}: nothing left`);
    }
    for (const step of steps.detach) {
      const a = await e.call('nic.attach', { target, nic });
      assert.equal(a.exitCode, 0, a.stdout);
      assert.ok(
        await pings(c1, kind === 'default' ? '172.18.0.1' : '10.7.0.2'),
        `${step}: attached nic carries traffic`,
      );
      await killedAt(e, step, 'nic.detach', { target, name: 'eth0' });
      const gc = await e.call('nic.gc', {});
      assert.equal(gc.value.finished.length, 1, `${step}: gc finished the detach: ${gc.stdout}`);
      assert.equal(await e.snapshot(c1, peer), nothing, `${step}: nothing left`);
    }
    assert.equal((await nics(e)).length, veth ? 1 : 0, 'only the peer is still attached');
  });
}
