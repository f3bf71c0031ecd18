// Every kind in KINDS has its entry in each table over kinds (the modules, the guests', OVSDB
// needs, the crash test's steps), and the state file's shape requires each kind's own fields:
// a record of a kind without them is ESTATE on read, naming the field. (kinds-types.ts proves
// the same at compile time.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GUEST_KINDS, KIND_MODULES } from '../../../ovs-plugin/nics/kinds/index.ts';
import { KIND_NEEDS_OVSDB } from '../../../ovs-plugin/nics/ovs-need.ts';
import { checkState } from '../../../ovs-plugin/nics/state-shape.ts';
import { KINDS, type KindFields } from '../../../ovs-plugin/nics/types.ts';
import { STEPS } from './crash.ts';
import { fakeRecord } from './records.ts';

test('every kind has an entry in each table over kinds', () => {
  for (const [name, table] of Object.entries({ KIND_MODULES, GUEST_KINDS, KIND_NEEDS_OVSDB, STEPS })) {
    assert.deepEqual(Object.keys(table).sort(), [...KINDS].sort(), name);
  }
  for (const k of KINDS) assert.ok(KIND_MODULES[k], `${k} has a module`);
});

/** A well-formed record of each kind (its own fields filled in). */
const FIELDS: { [K in keyof KindFields]: KindFields[K] } = {
  default: { bridge: 'nat0', address: '100.127.0.2/16', gateway: '100.127.0.1' },
  bridge: { bridge: 'br0' },
  vlan: { bridge: 'vlbr10', tag: 10 },
  vxlan: { bridge: 'vxlbr100', vni: 100 },
  macvlan: { parent: 'eth1' },
  passthrough: { saved: { name: 'eth1', mac: '02:00:00:00:00:01', mtu: 1500, up: true } },
  network: { bridge: 'b-net1', address: '10.20.2.2/24' },
  zerotier: { zt: { home: '/run/ovs-plugin/zerotier/zt-0011223344', port: 9993, node: '0577f9f8e2' } },
  fleet: { bridge: 'br-int', lport: 'c1-0a0b0c0d0e', chassis: 'c1' },
};

test("a record of each kind needs that kind's fields: without one, ESTATE naming it", () => {
  for (const k of KINDS) {
    const { bridge: _b, tag: _t, ...base } = fakeRecord(`k-${k}`);
    const whole = { ...base, nic: { type: k }, ...FIELDS[k] };
    assert.doesNotThrow(() => checkState('/s', { version: 1, nics: [whole] }, 'h'), k);
    for (const field of Object.keys(FIELDS[k])) {
      const { [field]: _gone, ...lacking } = whole as Record<string, unknown>;
      assert.throws(
        () => checkState('/s', { version: 1, nics: [lacking] }, 'h'),
        (e: { code?: string; message: string }) =>
          e.code === 'ESTATE' && e.message.includes(`field "${field}" is missing`),
        `${k} without ${field}`,
      );
    }
  }
});
