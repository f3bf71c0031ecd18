// SIGKILL at every attach and detach step of network nics, then gc (crash.ts); and of a guest's
// network tap, whose allocated address is free again after each gc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crashTest, killedAt } from './crash.ts';
import { nicEnv } from './helpers.ts';
import { fakeNr } from './nr-fixture.ts';

crashTest('network');

test(
  'network guest: SIGKILL at every step of a tap attach and detach, ' +
    'then gc -> attached or nothing, the address freed',
  async (t) => {
    const e = await nicEnv(t, { backplane: false });
    const nr = await fakeNr(t, e);
    const nothing = await e.snapshot();
    const target = { kvm: 'vm1' };
    const nic = { type: 'network', id: nr.netid, name: 'tapvm1' };
    for (const step of ['attach:recorded', 'attach:bridge', 'attach:tap', 'attach:plugged', 'attach:done']) {
      await killedAt(e, step, 'nic.attach', { target, nic });
      const gc = await e.call('nic.gc', {});
      assert.equal(gc.value.undone.length, 1, `${step}: ${gc.stdout}`);
      assert.equal(await e.snapshot(), nothing, `${step}: nothing left`);
    }
    for (const step of ['detach:recorded', 'detach:unplugged', 'detach:deleted', 'detach:done']) {
      const a = await e.call('nic.attach', { target, nic });
      assert.equal(a.exitCode, 0, a.stdout);
      assert.equal(a.value.address, '10.20.1.2/24', `${step}: the address of every cut-short attach was freed`);
      await killedAt(e, step, 'nic.detach', { target, name: 'tapvm1' });
      const gc = await e.call('nic.gc', {});
      assert.equal(gc.value.finished.length, 1, `${step}: ${gc.stdout}`);
      assert.equal(await e.snapshot(), nothing, `${step}: nothing left`);
    }
  },
);
