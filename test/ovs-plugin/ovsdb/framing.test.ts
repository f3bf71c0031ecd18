// Concatenated-JSON framing (RFC 7047 3.1): no newlines, any chunking, strings with braces.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OvsdbError } from '../../../lib/errors.ts';
import { JsonStreamParser } from '../../../ovs-plugin/ovsdb/framing.ts';

const tricky = [
  { id: 1, result: [{ rows: [{ name: 'br{0}', note: 'a "quoted" } ] { [ brace' }] }], error: null },
  { id: null, method: 'update', params: ['m1', { Bridge: { x: { new: { name: 'back\\slash\\"' } } } }] },
  { id: 'echo', method: 'echo', params: [] },
  { id: 2, result: 'ünïcødé ✓ 🚀', error: null },
  [1, 2, [3, { a: ']' }]],
];

test('merged messages in one chunk, no separators', () => {
  const p = new JsonStreamParser();
  assert.deepEqual(p.push(tricky.map((m) => JSON.stringify(m)).join('')), tricky);
  assert.equal(p.pending, 0);
});

test('whitespace and newlines between messages are ignored', () => {
  const p = new JsonStreamParser();
  assert.deepEqual(p.push(` \n${JSON.stringify(tricky[0])}\r\n\t${JSON.stringify(tricky[1])}\n`), tricky.slice(0, 2));
});

test('every split point of the stream, byte by byte (incl. inside UTF-8 and escapes)', () => {
  const bytes = Buffer.from(tricky.map((m) => JSON.stringify(m)).join(''), 'utf8');
  for (let cut = 0; cut <= bytes.length; cut++) {
    const p = new JsonStreamParser();
    const got = [...p.push(bytes.subarray(0, cut)), ...p.push(bytes.subarray(cut))];
    assert.deepEqual(got, tricky, `cut at ${cut}`);
  }
  const p = new JsonStreamParser();
  const got: unknown[] = [];
  for (const b of bytes) got.push(...p.push(Buffer.from([b])));
  assert.deepEqual(got, tricky);
});

test('an incomplete message is held until the rest arrives', () => {
  const p = new JsonStreamParser();
  assert.deepEqual(p.push('{"id":1,"result":"{'), []);
  assert.ok(p.pending > 0);
  assert.deepEqual(p.push('"}'), [{ id: 1, result: '{' }]);
});

test('a message over the size limit is refused with EOVSDB_PROTO', () => {
  const p = new JsonStreamParser(1000);
  assert.throws(
    () => p.push(`{"a":"${'x'.repeat(2000)}`),
    (e: unknown) => e instanceof OvsdbError && e.code === 'EOVSDB_PROTO',
  );
  assert.throws(
    () => new JsonStreamParser(1000).push(`{"a":"${'x'.repeat(2000)}"}`),
    (e: unknown) => e instanceof OvsdbError && e.code === 'EOVSDB_PROTO',
    'complete in one chunk too',
  );
  const q = new JsonStreamParser(1000);
  for (let i = 0; i < 5; i++)
    assert.deepEqual(q.push(`{"a":"${'x'.repeat(900)}"}`).length, 1, 'many messages each under the limit are fine');
});

test('garbage between messages and invalid JSON are refused with EOVSDB_PROTO', () => {
  for (const bad of ['hello', '{"a":}', '{"a":1}}', '42']) {
    assert.throws(
      () => new JsonStreamParser().push(bad),
      (e: unknown) => e instanceof OvsdbError && e.code === 'EOVSDB_PROTO',
      bad,
    );
  }
});
