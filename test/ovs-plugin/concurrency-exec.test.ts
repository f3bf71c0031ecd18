// Exec calls racing each other (a host that does not queue them): the same vlan-ensure from many
// processes at once builds one VLAN and every call answers its name; conflicting names lose cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startOvs } from '../helpers/ovs.ts';
import { auditVlans } from './audit.ts';
import { ensureBundle, execPlugin } from './helpers.ts';

test('concurrent exec processes: one VLAN per tag, every call answered, losers get ECONFLICT', async (t) => {
  await ensureBundle();
  const ovs = await startOvs(t);
  assert.equal((await execPlugin(ovs, 'bridge-add', { bridge: 'backplane' })).exitCode, 0);
  const same = await Promise.all(
    Array.from({ length: 8 }, () => execPlugin(ovs, 'vlan-ensure', { master: 'backplane', vlan: 77 })),
  );
  for (const r of same) assert.deepEqual([r.exitCode, r.value], [0, 'vlbr77'], r.stdout);
  const names = await Promise.all(
    ['a1', 'a2', 'a3', 'a4'].map((name) => execPlugin(ovs, 'vlan-ensure', { master: 'backplane', vlan: 78, name })),
  );
  const won = names.filter((r) => r.exitCode === 0);
  assert.equal(won.length, 1, names.map((r) => r.stdout).join(''));
  for (const r of names) if (r.exitCode !== 0) assert.equal(r.value.code, 'ECONFLICT', r.stdout);
  const a = await auditVlans(ovs, 'backplane');
  assert.deepEqual(a.problems, []);
  assert.deepEqual([...a.complete.entries()].sort(), [
    [77, 'vlbr77'],
    [78, won[0]!.value],
  ]);
});
