// Notation helpers (RFC 7047 5.1), address parsing, and the monitor cache (RFC 7047 4.1.6).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyTableUpdates, type Cache } from '../../../ovs-plugin/ovsdb/cache.ts';
import { connectOvsdb } from '../../../ovs-plugin/ovsdb/client.ts';
import { parseOvsdbUrl } from '../../../ovs-plugin/ovsdb/connection.ts';
import { ValidationError } from '../../../lib/errors.ts';
import {
  isUuid,
  mapToObject,
  namedUuid,
  optional,
  ovsMap,
  ovsSet,
  setToArray,
  uuid,
  uuidOf,
  uuidsOf,
} from '../../../ovs-plugin/ovsdb/notation.ts';
import { startFakeOvsdb } from '../../helpers/fake-ovsdb.ts';

test('builders produce RFC 7047 5.1 notation', () => {
  assert.deepEqual(uuid('u'), ['uuid', 'u']);
  assert.deepEqual(namedUuid('n'), ['named-uuid', 'n']);
  assert.deepEqual(ovsSet([1, 'a']), ['set', [1, 'a']]);
  assert.deepEqual(ovsMap({ a: '1', b: 2 }), [
    'map',
    [
      ['a', '1'],
      ['b', 2],
    ],
  ]);
  assert.deepEqual(ovsMap(new Map([['k', 'v']])), ['map', [['k', 'v']]]);
  assert.deepEqual(ovsMap([['k', uuid('x')]]), ['map', [['k', ['uuid', 'x']]]]);
});

test('readers accept both a bare atom and a set', () => {
  assert.deepEqual(setToArray(['set', []]), []);
  assert.deepEqual(setToArray(5), [5]);
  assert.deepEqual(setToArray(['uuid', 'a']), [['uuid', 'a']]);
  assert.deepEqual(setToArray(undefined), []);
  assert.deepEqual(
    uuidsOf([
      'set',
      [
        ['uuid', 'a'],
        ['uuid', 'b'],
      ],
    ]),
    ['a', 'b'],
  );
  assert.deepEqual(uuidsOf(['uuid', 'a']), ['a']);
  assert.equal(optional(['set', []]), undefined);
  assert.equal(optional(7), 7);
  assert.deepEqual(
    mapToObject([
      'map',
      [
        ['a', '1'],
        ['b', '2'],
      ],
    ]),
    { a: '1', b: '2' },
  );
  assert.deepEqual(mapToObject(undefined), {});
  assert.equal(isUuid(['uuid', 'a']), true);
  assert.equal(isUuid(['named-uuid', 'a']), false);
  assert.equal(uuidOf(['uuid', 'z']), 'z');
  assert.throws(() => uuidOf('z'));
});

test('addresses: unix:PATH, tcp:HOST:PORT, tcp:[V6]:PORT; anything else is EINVALID naming db', () => {
  assert.deepEqual(parseOvsdbUrl('unix:/run/db.sock'), { kind: 'unix', path: '/run/db.sock' });
  assert.deepEqual(parseOvsdbUrl('tcp:10.0.0.1:6640'), { kind: 'tcp', host: '10.0.0.1', port: 6640 });
  assert.deepEqual(parseOvsdbUrl('tcp:[::1]:6640'), { kind: 'tcp', host: '::1', port: 6640 });
  for (const bad of ['', 'unix:', 'tcp:host', 'tcp:host:0', 'tcp:host:70000', 'ssl:h:1', '/run/db.sock']) {
    assert.throws(
      () => parseOvsdbUrl(bad),
      (e: unknown) => e instanceof ValidationError && e.code === 'EINVALID' && e.field === 'db',
      bad,
    );
  }
});

test("cache: insert, modify (merged over other monitors' columns), delete", () => {
  const cache: Cache = new Map();
  applyTableUpdates(cache, { Bridge: { u1: { new: { name: 'a', ports: ['set', []] } } } });
  applyTableUpdates(cache, { Bridge: { u1: { new: { name: 'a', other: 1 } } } });
  assert.deepEqual(cache.get('Bridge')!.get('u1'), { name: 'a', ports: ['set', []], other: 1, _uuid: ['uuid', 'u1'] });
  applyTableUpdates(cache, { Bridge: { u1: { old: { other: 1 }, new: { name: 'a', other: 2 } } } });
  assert.equal(cache.get('Bridge')!.get('u1')!.other, 2);
  applyTableUpdates(cache, { Bridge: { u1: { old: { name: 'a' } } }, Port: {} });
  assert.equal(cache.get('Bridge')!.size, 0);
  assert.equal(cache.get('Port')!.size, 0);
});

test('tcp:HOST:PORT connects over TCP', async (t) => {
  const fake = await startFakeOvsdb(t, { tcp: true });
  const c = await connectOvsdb(fake.url, { probeIntervalMs: 0 });
  t.after(() => c.close());
  assert.match(fake.url, /^tcp:127\.0\.0\.1:\d+$/);
  assert.deepEqual(await c.request('list_dbs', []), ['Open_vSwitch']);
});
