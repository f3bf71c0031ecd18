// The typed rows cannot drift from the switch: the generated module must be what the installed
// vswitch.ovsschema produces, and every column the plugin reads or sets must be in it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEFAULT_SCHEMA, generate, OUTPUT } from '../../../ovs-plugin/ovsdb/gen-schema.ts';
import { columnType, decodeValue, encodeValue, isTable, typeOf } from '../../../ovs-plugin/ovsdb/rows.ts';
import { MONITORED } from '../../../ovs-plugin/planners/view.ts';
import { SETTABLE } from '../../../ovs-plugin/planners/columns.ts';

test('ovsdb/vswitch-schema.ts is generated from the installed schema (run `make schema` if not)', () => {
  const schema = JSON.parse(readFileSync(DEFAULT_SCHEMA, 'utf8'));
  assert.equal(readFileSync(OUTPUT, 'utf8'), generate(schema));
});

test('every monitored and settable column is a column of the schema', () => {
  const schema = JSON.parse(readFileSync(DEFAULT_SCHEMA, 'utf8'));
  for (const [table, cols] of [...Object.entries(MONITORED), ...SETTABLE]) {
    for (const c of cols) assert.ok(Object.hasOwn(schema.tables[table].columns, c), `${table}.${c}`);
  }
});

test("names are the schema's own properties only", () => {
  for (const t of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
    assert.equal(isTable(t), false, t);
    assert.equal(columnType('Bridge', t), undefined, t);
  }
});

test('decode and encode follow RFC 7047 5.1 by column type', () => {
  assert.equal(decodeValue(typeOf('Port', 'tag'), ['set', []]), undefined);
  assert.equal(decodeValue(typeOf('Port', 'tag'), 7), 7);
  assert.deepEqual(decodeValue(typeOf('Port', 'trunks'), 5), [5]);
  assert.deepEqual(
    decodeValue(typeOf('Bridge', 'ports'), [
      'set',
      [
        ['uuid', 'a'],
        ['uuid', 'b'],
      ],
    ]),
    ['a', 'b'],
  );
  assert.deepEqual(decodeValue(typeOf('Interface', 'options'), ['map', [['peer', 'x']]]), new Map([['peer', 'x']]));
  assert.equal(decodeValue(typeOf('Bridge', 'name'), undefined), '');
  assert.deepEqual(encodeValue(typeOf('Port', 'tag'), undefined), ['set', []]);
  assert.deepEqual(encodeValue(typeOf('Bridge', 'ports'), ['a']), ['set', [['uuid', 'a']]]);
  assert.deepEqual(encodeValue(typeOf('Port', 'vlan_mode'), 'access'), 'access');
});
