// The retry after a cut-short attach (SIGKILL mid-way, or ENOSPC on its last state write): an
// identical nic.attach, by exec and with no nic.gc in between, undoes the dead owner's half
// attach itself and succeeds, leaving one nic and nothing of the first try.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listLinks } from '../../../lib/ip.ts';
import { portsOf } from '../helpers.ts';
import { killedAt, nics } from './crash.ts';
import { container, nicEnv, type NicEnv } from './helpers.ts';

const nic = { type: 'vlan', id: 20, config: { cidr: '10.8.0.1/24' } };

/** The identical retry succeeds: one attached record, one host veth, one port. */
async function retrySucceeds(e: NicEnv, c1: string, n: object = nic): Promise<void> {
  const r = await e.call('nic.attach', { target: { netns: c1 }, nic: n });
  assert.equal(r.exitCode, 0, `the identical retry succeeds: ${r.stdout}`);
  assert.deepEqual(
    (await nics(e)).map((x) => [x.name, x.phase]),
    [['eth0', 'attached']],
  );
  assert.deepEqual(
    (await listLinks({ name: e.host })).map((l) => l.ifname).filter((n) => n.startsWith('nh')),
    [r.value.host],
    'one host veth',
  );
  assert.deepEqual(await portsOf(e.ovs, 'vlbr20'), [r.value.host], 'one port');
  assert.deepEqual((await listLinks({ name: c1 })).map((l) => l.ifname).sort(), ['eth0', 'lo']);
}

test(
  'attach SIGKILLed after its port was plugged: ' + 'an identical exec attach right after succeeds (no EEXIST, no gc)',
  async (t) => {
    const e = await nicEnv(t);
    const c1 = await container(t);
    const named = { ...nic, name: 'eth0' }; // a name given: the half-made link's, so not a second nic
    await killedAt(e, 'attach:plugged', 'nic.attach', { target: { netns: c1 }, nic: named });
    assert.deepEqual(
      (await nics(e)).map((x) => x.phase),
      ['attaching'],
    );
    await retrySucceeds(e, c1, named);
  },
);

test('attach whose last state write failed (ENOSPC): an identical exec attach right after succeeds', async (t) => {
  const e = await nicEnv(t);
  const c1 = await container(t);
  const first = await e.call('nic.attach', { target: { netns: c1 }, nic }, { OVS_PLUGIN_FAILPOINT: 'write:2:ENOSPC' });
  assert.notEqual(first.exitCode, 0, `the first attach fails: ${first.stdout}`);
  assert.match(first.value.message, /ENOSPC/);
  assert.deepEqual(
    (await nics(e)).map((x) => x.phase),
    ['attaching'],
  );
  await retrySucceeds(e, c1);
});
