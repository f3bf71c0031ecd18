// Bad input through the exec transport against a real switch: exit 1, EINVALID naming the
// field, and a dump of OVSDB identical before and after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startOvs } from '../helpers/ovs.ts';
import { ensureBundle, execPlugin } from './helpers.ts';
import { BAD } from './bad-input.ts';

test('every validation rule via exec: EINVALID with the field, OVSDB unchanged', async (t) => {
  await ensureBundle();
  const ovs = await startOvs(t);
  assert.equal((await execPlugin(ovs, 'bridge-add', { bridge: 'b' })).exitCode, 0);
  assert.equal((await execPlugin(ovs, 'vlan-ensure', { master: 'b', vlan: 5 })).exitCode, 0);
  const before = await ovs.snapshot();
  let deep: unknown = 'x';
  for (let i = 0; i < 50; i++) deep = [deep];
  const cases: [string, unknown, string][] = [
    ...BAD,
    ['bridge-add', JSON.stringify({ bridge: 'b2', options: { 'other_config:x': 'y'.repeat(70000) } }), 'args'],
    ['bridge-add', JSON.stringify({ bridge: 'b2', options: deep }), 'args'],
    ['bridge-add', '{"bridge": "b2",', 'args'],
  ];
  await Promise.all(
    [0, 1, 2, 3].map(async (k) => {
      for (let i = k; i < cases.length; i += 4) {
        const [cmd, args, field] = cases[i]!;
        const r = await execPlugin(ovs, cmd, typeof args === 'string' ? args : JSON.stringify(args));
        assert.equal(r.exitCode, 1, `${cmd} ${String(JSON.stringify(args)).slice(0, 80)}`);
        assert.equal(r.value.code, 'EINVALID', r.stdout);
        assert.equal(r.value.field, field, r.stdout);
      }
    }),
  );
  assert.equal(await ovs.snapshot(), before);
});
