// Reading request lines: every member bounded before use (line, depth on the text, batch size,
// envelope members, id type), a verdict for every input and never a throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeLine,
  LineReader,
  parseLine,
  replyOf,
  textDepth,
  type Parsed,
} from '../../../ovs-plugin/transports/jsonrpc.ts';
import { serveLimits } from '../../../ovs-plugin/transports/limits.ts';

const b = serveLimits(1024);
const nest = (n: number, inner = '1') => '['.repeat(n) + inner + ']'.repeat(n);
const refusedId = (p: Parsed) => (p.kind === 'invalid' ? [p.error.code, p.id] : p.kind);

test('a deep value anywhere in the request is refused before parsing, with id null', () => {
  for (const line of [
    `{"jsonrpc":"2.0","id":${nest(10000)},"method":"ovs.bridge-del","params":{}}`,
    `{"jsonrpc":"2.0","id":1,"method":${nest(10000)}}`,
    `{"jsonrpc":${nest(10000)},"id":1,"method":"x"}`,
    `{"jsonrpc":"2.0","id":1,"method":"x","extra":${nest(10000)}}`,
    `{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":${nest(10000)}}}`,
    nest(10000, '{}'),
    '{'.repeat(30000),
  ])
    assert.deepEqual(refusedId(parseLine(line, b)), ['EREQUEST', null], line.slice(0, 60));
  assert.equal(textDepth('{"a":"[[[[[[[[[[[[[[\\"[[[["}', 3), 1, 'brackets inside strings do not count');
  assert.equal(
    parseLine(`{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":"${'['.repeat(1000)}"}}`, b).kind,
    'single',
  );
});

test('id per JSON-RPC 2.0 section 4: string, number or null; anything else is -32600 and not echoed', () => {
  for (const id of ['{"a":1}', '[1]', 'true', '1e400', `"${'x'.repeat(300)}"`]) {
    const p = parseLine(`{"jsonrpc":"2.0","id":${id},"method":"ovs.bridge-del"}`, b);
    assert.deepEqual(refusedId(p), ['EREQUEST', null], id);
    assert.equal(JSON.parse(encodeLine(replyOf(null, { error: (p as any).error }))).error.code, -32600);
  }
  for (const [id, want] of [
    ['"a"', 'a'],
    ['7', 7],
    ['null', null],
  ] as const) {
    const p = parseLine(`{"jsonrpc":"2.0","id":${id},"method":"m"}`, b);
    assert.deepEqual(p.kind === 'single' && p.call.id, want);
  }
  const note = parseLine('{"jsonrpc":"2.0","method":"m"}', b);
  assert.ok(note.kind === 'single' && !('id' in note.call), 'no id: a notification');
  // A valid id is echoed on envelope errors.
  assert.deepEqual(refusedId(parseLine('{"jsonrpc":"1.0","id":5,"method":"m"}', b)), ['EREQUEST', 5]);
  assert.deepEqual(refusedId(parseLine('{"jsonrpc":"2.0","id":5,"method":{}}', b)), ['EREQUEST', 5]);
  assert.deepEqual(refusedId(parseLine('{"jsonrpc":"2.0","id":5,"method":"m","params":3}', b)), ['EREQUEST', 5]);
  assert.deepEqual(refusedId(parseLine('{"jsonrpc":"2.0","id":5,"method":"m","__proto__":{}}', b)), ['EREQUEST', null]);
  assert.deepEqual(refusedId(parseLine('not json', b)), ['EPARSE', null]);
  assert.deepEqual(refusedId(parseLine('"a string"', b)), ['EREQUEST', null]);
  assert.deepEqual(
    refusedId(parseLine(`{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":"${'x'.repeat(70000)}"}}`, b)),
    ['EREQUEST', null],
  );
});

test('batches (section 6): each element read on its own; empty and oversized batches are one error', () => {
  const p = parseLine(
    '[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"b"},1,{"jsonrpc":"2.0","id":[2],"method":"c"}]',
    b,
  );
  assert.equal(p.kind, 'batch');
  const items = (p as Extract<Parsed, { kind: 'batch' }>).items;
  assert.deepEqual(
    items.map((i) => ('error' in i ? ['err', i.id] : ['call', i.id])),
    [
      ['call', 1],
      ['call', undefined],
      ['err', null],
      ['err', null],
    ],
  );
  assert.deepEqual(refusedId(parseLine('[]', b)), ['EREQUEST', null]);
  assert.deepEqual(
    refusedId(parseLine(JSON.stringify(Array(b.maxBatch + 1).fill({ jsonrpc: '2.0', method: 'm' })), b)),
    ['EREQUEST', null],
  );
});

test('LineReader: one line at a time, overflow stops the stream, linear on many small lines', () => {
  const r = new LineReader(10);
  r.push('a\n\nbb\ncc');
  assert.deepEqual([r.next(), r.next(), r.next()], ['a', 'bb', undefined]);
  r.push('c\n');
  assert.equal(r.next(), 'ccc');
  r.push('x'.repeat(11));
  assert.equal(r.next(), null);
  assert.equal(r.next(), null, 'stays unusable');
  const big = new LineReader(100);
  big.push('{"a":1}\n'.repeat(200000));
  const t0 = performance.now();
  let n = 0;
  while (big.next()) n++;
  assert.equal(n, 200000);
  assert.ok(performance.now() - t0 < 2000, `took ${performance.now() - t0} ms`);
});

test('limits follow the file limit: the sums fit in it under 256 and 1024', () => {
  for (const nofile of [64, 256, 1024, 20000]) {
    const l = serveLimits(nofile);
    assert.ok(l.maxConnections >= 1 && l.maxInflight >= 1);
    assert.ok(nofile < 100 || l.maxConnections + l.maxInflight * 6 + 48 <= nofile, JSON.stringify(l));
  }
  assert.ok(serveLimits(20000).maxConnections >= 1000, 'a high limit serves 1000 connections');
});
