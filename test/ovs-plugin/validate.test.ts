// Bad input, one rule at a time: every command refuses it with EINVALID naming the field, before
// any change (unit level here; validation-real.test.ts checks OVSDB is untouched end to end).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS, lookup } from '../../ovs-plugin/commands/registry.ts';
import { MAX_ARGS_BYTES, parseArgsText } from '../../ovs-plugin/validate.ts';
import { BAD } from './bad-input.ts';

test('each validation rule: EINVALID naming the field', () => {
  for (const [cmd, args, field] of BAD) {
    assert.throws(
      () => lookup(cmd).command.validate(args),
      (e: any) => e.code === 'EINVALID' && e.details.field === field,
      `${cmd} ${JSON.stringify(args)} should fail on ${field}`,
    );
  }
});

test('argument text: too large, too deep, not JSON', () => {
  const big = JSON.stringify({ bridge: 'b', options: { 'other_config:x': 'y'.repeat(MAX_ARGS_BYTES) } });
  assert.throws(
    () => parseArgsText(big),
    (e: any) => e.code === 'EINVALID' && e.details.field === 'args',
  );
  let deep: unknown = 'x';
  for (let i = 0; i < 20; i++) deep = { a: deep };
  assert.throws(
    () => parseArgsText(JSON.stringify({ bridge: 'b', options: deep })),
    (e: any) => e.code === 'EINVALID',
  );
  assert.throws(
    () => parseArgsText('['.repeat(60000)),
    (e: any) => e.code === 'EINVALID',
  );
  assert.throws(
    () => parseArgsText('{bridge:'),
    (e: any) => e.code === 'EINVALID',
  );
});

test('good arguments pass with v1 defaults', () => {
  assert.deepEqual(lookup('ovs.bond-add').command.validate({ bridge: 'b', port: 'bond0', links: ['a', 'b'] }), {
    bridge: 'b',
    port: 'bond0',
    links: ['a', 'b'],
    mode: 'balance-slb',
    lacp: false,
  });
  assert.deepEqual(lookup('port-add').command.validate({ bridge: 'b', port: 'p', vlan: 0, options: null }), {
    bridge: 'b',
    port: 'p',
    vlan: 0,
    options: [],
    mayExist: false,
  });
  assert.equal((lookup('vlan-ensure').command.validate({ master: 'b', vlan: 4094 }) as { vlan: number }).vlan, 4094);
  assert.equal(
    (lookup('vxlan-ensure').command.validate({ master: 'b', vxlan: 16777215 }) as { vxlan: number }).vxlan,
    16777215,
  );
  assert.throws(
    () => lookup('nope'),
    (e: any) => e.code === 'EUNKNOWN' && e.message === 'unknown command: nope',
  );
});

test(
  'each command declares its arguments once: the example validates, ' + 'every declared name is accepted, nothing else',
  () => {
    for (const [name, command] of Object.entries(COMMANDS)) {
      const { usage } = command;
      // nic.gc takes no arguments
      assert.ok(usage.summary && (usage.args.length > 0 || Object.keys(usage.example).length === 0), name);
      assert.doesNotThrow(() => command.validate(usage.example), `${name} example ${JSON.stringify(usage.example)}`);
      for (const k of Object.keys(usage.example))
        assert.ok(
          usage.args.some((a) => a.name === k),
          `${name} example uses undeclared ${k}`,
        );
      assert.throws(
        () => command.validate({ ...usage.example, undeclared: 1 }),
        (e: any) => e.code === 'EINVALID' && e.details.field === 'undeclared',
        name,
      );
      for (const a of usage.args.filter((x) => x.required)) {
        const without: Record<string, unknown> = { ...usage.example };
        delete without[a.name];
        assert.throws(
          () => command.validate(without),
          (e: any) => e.code === 'EINVALID' && e.details.field === a.name,
          `${name} without ${a.name}`,
        );
      }
    }
  },
);
