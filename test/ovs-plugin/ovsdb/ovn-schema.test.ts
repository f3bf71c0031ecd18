// The OVN row types cannot drift from the installed OVN: nb-schema.ts and sb-schema.ts must be
// what ovn-nb.ovsschema and ovn-sb.ovsschema produce (`make schema`), and decoding follows them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generate, OVN_NB, OVN_SB } from '../../../ovs-plugin/ovsdb/gen-schema.ts';
import { decodeNb, encodeNb } from '../../../ovs-plugin/ovsdb/ovn-rows.ts';

for (const spec of [OVN_NB, OVN_SB]) {
  test(`${spec.output} is generated from the installed ${spec.schema} (run \`make schema\` if not)`, () => {
    assert.equal(readFileSync(spec.output, 'utf8'), generate(JSON.parse(readFileSync(spec.schema, 'utf8')), spec));
  });
}

test('NB rows decode and encode by their column types (RFC 7047 5.1)', () => {
  const row = decodeNb(
    'Logical_Switch_Port',
    {
      _uuid: ['uuid', 'u1'],
      name: 'p',
      addresses: ['set', ['02:00:00:00:00:01 10.0.0.1']],
      tag: ['set', []],
      options: ['map', [['requested-chassis', 'c1']]],
    },
    ['name', 'addresses', 'tag', 'options', 'up'],
  );
  assert.deepEqual(row, {
    _uuid: 'u1',
    name: 'p',
    addresses: ['02:00:00:00:00:01 10.0.0.1'],
    tag: undefined,
    options: new Map([['requested-chassis', 'c1']]),
    up: undefined,
  });
  assert.deepEqual(encodeNb('Logical_Switch_Port', { tag_request: 10, addresses: ['unknown'] }), {
    tag_request: 10,
    addresses: ['set', ['unknown']],
  });
});
