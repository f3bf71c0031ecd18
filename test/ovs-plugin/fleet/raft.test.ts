// The central databases as 3-member Raft clusters (NB and SB): the plugin is given every
// member's address and talks to the NB leader; during port churn on two chassis the NB leader
// is killed, then the SB leader: no logical port and no binding of an attached nic is lost, no
// logical port of ours is left without its nic, and the plugin's NB client has followed the new
// leader (a network made after, the nics checked against NB, SB and the interfaces).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { joinedChassis, startCentral, until, type Chassis } from '../../helpers/ovn-world.ts';
import { container, pings } from '../nics/helpers.ts';

test('NB and SB as Raft clusters: a leader killed during port churn loses no port and no binding', async (t) => {
  const c = await startCentral(t, { members: 3 });
  const [a, b] = await Promise.all([joinedChassis(t, c, 1), joinedChassis(t, c, 2)]);
  assert.equal((await a.call('fleet.network-ensure', { name: 'blue' })).exitCode, 0);
  const cs = await Promise.all(Array.from({ length: 8 }, () => container(t)));
  const chassisOf = (i: number): Chassis => (i % 2 ? b : a);
  const nic = (i: number) => ({ type: 'fleet', id: 'blue', config: { cidr: `10.95.0.${i + 1}/24` } });

  // Churn: attach all eight (each chassis one at a time), detach every third, attach it again.
  let done = 0;
  const failures: string[] = [];
  const churn = async (side: number) => {
    for (let i = side; i < cs.length; i += 2) {
      const ch = chassisOf(i);
      for (const step of ['attach', ...(i % 3 === 0 ? ['detach', 'attach'] : [])]) {
        const r =
          step === 'attach'
            ? await ch.call('nic.attach', { target: { netns: cs[i]! }, nic: nic(i) })
            : await ch.call('nic.detach', { target: { netns: cs[i]! }, name: 'eth0' });
        if (r.exitCode !== 0) failures.push(`${step} ${i}: ${r.stdout.trim()}`);
        done++;
      }
    }
  };
  const churning = Promise.all([churn(0), churn(1)]);
  await until('some churn done', () => done >= 3, 60000);
  const nbLeader = await c.leader('nb');
  await c.kill('nb', nbLeader);
  await until('more churn done', () => done >= 7, 60000);
  await c.kill('sb', await c.leader('sb'));
  await churning;
  t.diagnostic(`churn: ${done} calls, failed: ${failures.length ? failures.join('; ') : 'none'}`);

  // Whatever failed during the elections was undone; retry those attaches now.
  for (let i = 0; i < cs.length; i++) {
    const r = await chassisOf(i).call('nic.attach', { target: { netns: cs[i]! }, nic: nic(i) });
    assert.equal(r.exitCode, 0, r.stdout);
  }
  // Every recorded nic: its logical port in the NB, bound to its chassis in the SB, installed.
  const keys: string[] = [];
  for (const ch of [a, b]) {
    const recs = JSON.parse(await readFile(ch.state, 'utf8')).nics as {
      key: string;
      target: { netns: string };
      lport: string;
      phase: string;
    }[];
    assert.equal(recs.length, 4);
    for (const r of recs) {
      assert.equal(r.phase, 'attached');
      keys.push(r.lport);
      const chk = await ch.call('nic.check', { target: r.target, name: 'eth0' });
      assert.deepEqual(chk.value, { ok: true, drift: [], repaired: [] }, r.key);
    }
  }
  const lsps = (await c.nbctl('--bare', '--columns=name', 'list', 'Logical_Switch_Port')).split('\n').filter(Boolean);
  assert.deepEqual(lsps.sort(), keys.sort(), 'exactly the recorded nics have logical ports');
  const bound = (await c.sbctl('--bare', '--columns=logical_port', 'find', 'Port_Binding', 'chassis!=[]'))
    .split('\n')
    .filter(Boolean);
  assert.deepEqual(bound.sort(), keys.sort(), 'each bound');
  assert.ok(await pings(cs[0]!, '10.95.0.2'), 'across chassis after both elections');

  // The plugin's NB client follows the leader: a new network through a survivor.
  assert.notEqual(await c.leader('nb'), nbLeader);
  assert.equal((await a.call('fleet.network-ensure', { name: 'red' })).exitCode, 0);
  await until('red in the NB', async () => (await c.nbctl('ls-list')).includes('red'));
});
