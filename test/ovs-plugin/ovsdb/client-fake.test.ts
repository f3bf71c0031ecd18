// The client against the in-process fake server: protocol edge cases.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectOvsdb, type Client, type ConnectOptions } from '../../../ovs-plugin/ovsdb/client.ts';
import { backoffDelay } from '../../../lib/backoff.ts';
import { OvsdbError, OvsdbTxnError, ValidationError } from '../../../lib/errors.ts';
import type { Operation } from '../../../ovs-plugin/ovsdb/types.ts';
import { startFakeOvsdb, defaultHandler, type FakeOvsdb } from '../../helpers/fake-ovsdb.ts';

const isCode = (code: string) => (e: unknown) => e instanceof OvsdbError && e.code === code;
const OPS: Operation[] = [
  { op: 'insert', table: 'Bridge', row: { name: 'b' } },
  { op: 'select', table: 'Bridge', where: [] },
];

async function connect(
  t: { after: (fn: () => Promise<void>) => void },
  fake: FakeOvsdb,
  opts: ConnectOptions = {},
): Promise<Client> {
  const c = await connectOvsdb(fake.url, { backoffMinMs: 10, backoffMaxMs: 50, probeIntervalMs: 0, ...opts });
  t.after(() => c.close());
  return c;
}

test('replies split byte by byte and merged with notifications are all understood', async (t) => {
  const fake = await startFakeOvsdb(t);
  fake.handler = (m, c) => {
    if (m.method !== 'transact') return defaultHandler(m, c);
    const raw =
      JSON.stringify({ id: null, method: 'update', params: ['nobody', {}] }) +
      JSON.stringify({ id: m.id, result: [{ uuid: ['uuid', 'u1'] }, { rows: [] }], error: null });
    let i = 0;
    const tick = () => {
      if (i < raw.length) {
        c.write(raw[i++]!);
        setImmediate(tick);
      }
    };
    tick();
  };
  const c = await connect(t, fake);
  const res = await c.transact('Open_vSwitch', OPS);
  assert.deepEqual(res, [{ uuid: ['uuid', 'u1'] }, { rows: [] }]);
  assert.deepEqual(fake.received.find((m) => m.method === 'transact')!.params, ['Open_vSwitch', ...OPS]);
});

test("the server's echo request is answered with its params (RFC 7047 4.1.11)", async (t) => {
  const fake = await startFakeOvsdb(t);
  const c = await connect(t, fake);
  const answered = new Promise<unknown>((r) => {
    fake.onResponse = (m) => r(m);
  });
  fake.last!.request('echo', ['x', 1], 'echo');
  assert.deepEqual(await answered, { result: ['x', 1], error: null, id: 'echo' });
  await c.echo();
});

test('an op error names the failing op index; results after it are null', async (t) => {
  const fake = await startFakeOvsdb(t);
  fake.handler = (m, c) =>
    m.method === 'transact'
      ? c.reply(m.id, [{}, { error: 'constraint violation', details: 'no such row' }, null])
      : defaultHandler(m, c);
  const c = await connect(t, fake);
  const ops = [...OPS, { op: 'comment', comment: 'x' } as Operation];
  await assert.rejects(
    c.transact('Open_vSwitch', ops),
    (e: unknown) =>
      e instanceof OvsdbTxnError &&
      e.code === 'EOVSDB_TXN' &&
      e.opIndex === 1 &&
      e.error === 'constraint violation' &&
      e.opDetails === 'no such row' &&
      e.op === ops[1],
  );
});

test('the trailing commit error (one extra result) is an EOVSDB_TXN with opIndex = ops.length', async (t) => {
  const fake = await startFakeOvsdb(t);
  fake.handler = (m, c) =>
    m.method === 'transact'
      ? c.reply(m.id, [
          { uuid: ['uuid', 'u'] },
          { rows: [] },
          { error: 'referential integrity violation', details: 'dangling' },
        ])
      : defaultHandler(m, c);
  const c = await connect(t, fake);
  await assert.rejects(
    c.transact('Open_vSwitch', OPS),
    (e: unknown) =>
      e instanceof OvsdbTxnError &&
      e.opIndex === 2 &&
      e.op === undefined &&
      /commit failed: referential integrity violation: dangling/.test(e.message),
  );
});

test('a request-level error and a short result array are typed errors', async (t) => {
  const fake = await startFakeOvsdb(t);
  let n = 0;
  fake.handler = (m, c) => {
    if (m.method !== 'transact') return defaultHandler(m, c);
    if (n++ === 0) c.reply(m.id, null, { error: 'unknown database', details: 'Nope' });
    else c.reply(m.id, [{}]);
  };
  const c = await connect(t, fake);
  await assert.rejects(c.transact('Nope', OPS), isCode('EOVSDB_RPC'));
  await assert.rejects(c.transact('Open_vSwitch', OPS), isCode('EOVSDB_PROTO'));
});

test('a slow reply past requestTimeoutMs is EOVSDB_TIMEOUT; the connection stays usable', async (t) => {
  const fake = await startFakeOvsdb(t);
  fake.handler = (m, c) =>
    m.method === 'transact' ? setTimeout(() => defaultHandler(m, c), 300) : defaultHandler(m, c);
  const c = await connect(t, fake, { requestTimeoutMs: 50 });
  await assert.rejects(c.transact('Open_vSwitch', OPS), isCode('EOVSDB_TIMEOUT'));
  await c.echo();
  await new Promise((r) => setTimeout(r, 300)); // the late reply is ignored
  await c.echo();
});

test('connection dropped mid-request: EOVSDB_CONN, then the client reconnects', async (t) => {
  const fake = await startFakeOvsdb(t);
  fake.handler = (m, c) => (m.method === 'transact' ? c.destroy() : defaultHandler(m, c));
  const c = await connect(t, fake);
  await assert.rejects(c.transact('Open_vSwitch', OPS), isCode('EOVSDB_CONN'));
  fake.handler = defaultHandler;
  await fake.waitConns(2);
  assert.equal((await c.transact('Open_vSwitch', OPS)).length, 2);
  assert.equal(c.reconnects, 1);
});

test('requests made while disconnected wait for the reconnect, bounded by waitForConnectionMs', async (t) => {
  const fake = await startFakeOvsdb(t);
  const c = await connect(t, fake, { waitForConnectionMs: 2000, backoffMinMs: 20 });
  const restarted = fake.restart(300);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(c.connected, false);
  const t0 = Date.now();
  await c.echo(); // issued while the server is down; answered after it is back
  assert.ok(Date.now() - t0 >= 150, 'echo waited for the server');
  await restarted;
  const c2 = await connect(t, fake, { waitForConnectionMs: 100, backoffMinMs: 20 });
  const down = fake.restart(600);
  await new Promise((r) => setTimeout(r, 50));
  await assert.rejects(c2.echo(), isCode('EOVSDB_CONN'));
  await down;
});

test(
  'no server: connectOvsdb fails with EOVSDB_CONN after waitForConnectionMs; ' + 'a bad address is EINVALID at once',
  async (t) => {
    const fake = await startFakeOvsdb(t);
    await fake.close();
    const t0 = Date.now();
    await assert.rejects(connectOvsdb(fake.url, { waitForConnectionMs: 200, backoffMinMs: 20 }), isCode('EOVSDB_CONN'));
    assert.ok(Date.now() - t0 < 1000);
    await assert.rejects(
      connectOvsdb('http://x'),
      (e: unknown) => e instanceof ValidationError && e.code === 'EINVALID' && e.field === 'db',
      'a bad address fails at once, as bad input',
    );
  },
);

test(
  'monitor: cache from the initial reply and update notifications; ' + 'updates racing the reply are kept in order',
  async (t) => {
    const fake = await startFakeOvsdb(t);
    fake.handler = (m, c) => {
      if (m.method !== 'monitor') return defaultHandler(m, c);
      const id = m.params![1];
      // Reply and two updates in one write: the modify must land after the initial contents.
      c.write(
        JSON.stringify({
          id: m.id,
          error: null,
          result: { Bridge: { u1: { new: { name: 'a', n: 1 } }, u2: { new: { name: 'b', n: 1 } } } },
        }) +
          JSON.stringify({
            id: null,
            method: 'update',
            params: [id, { Bridge: { u1: { old: { n: 1 }, new: { name: 'a', n: 2 } } } }],
          }) +
          JSON.stringify({
            id: null,
            method: 'update',
            params: [id, { Bridge: { u2: { old: { name: 'b', n: 1 } }, u3: { new: { name: 'c', n: 1 } } } }],
          }),
      );
    };
    const c = await connect(t, fake);
    await c.monitor('Open_vSwitch', { Bridge: { columns: ['name', 'n'] } });
    await c.waitFor(() => c.cache.get('Bridge')?.has('u3') === true, 1000);
    assert.deepEqual(c.cache.get('Bridge')!.get('u1'), { name: 'a', n: 2, _uuid: ['uuid', 'u1'] });
    assert.equal(c.cache.get('Bridge')!.has('u2'), false);
    assert.deepEqual(fake.received.find((m) => m.method === 'monitor')!.params!.slice(2), [
      { Bridge: { columns: ['name', 'n'] } },
    ]);
  },
);

test('monitors are re-sent after a reconnect and the cache is rebuilt', async (t) => {
  const fake = await startFakeOvsdb(t);
  let gen = 0;
  fake.handler = (m, c) =>
    m.method === 'monitor'
      ? c.reply(m.id, { Bridge: { [`gen${gen}`]: { new: { name: `g${gen}` } } } })
      : defaultHandler(m, c);
  const c = await connect(t, fake);
  await c.monitor('Open_vSwitch', { Bridge: {} });
  assert.deepEqual([...c.cache.get('Bridge')!.keys()], ['gen0']);
  gen = 1;
  fake.dropAll();
  await c.waitFor(() => c.cache.get('Bridge')?.has('gen1') === true, 2000);
  assert.deepEqual([...c.cache.get('Bridge')!.keys()], ['gen1'], 'stale rows from before the reconnect are gone');
});

test('inactivity probe: a silent server is detected by our echo and the connection replaced', async (t) => {
  const fake = await startFakeOvsdb(t);
  let silent = true;
  fake.handler = (m, c) => {
    if (!(silent && m.method === 'echo')) defaultHandler(m, c);
  };
  const c = await connect(t, fake, { probeIntervalMs: 60 });
  await fake.waitConns(2, 3000);
  silent = false;
  await c.echo();
  assert.ok(fake.received.some((m) => m.method === 'echo'));
});

test('close() fails waiting and later requests with EOVSDB_CONN', async (t) => {
  const fake = await startFakeOvsdb(t);
  fake.handler = () => {};
  const c = await connect(t, fake);
  const pending = c.transact('Open_vSwitch', OPS);
  await c.close();
  await assert.rejects(pending, isCode('EOVSDB_CONN'));
  await assert.rejects(c.echo(), isCode('EOVSDB_CONN'));
});

test('monitor whose connection drops mid-request is established by the reconnect', async (t) => {
  const fake = await startFakeOvsdb(t);
  let first = true;
  fake.handler = (m, c) => {
    if (m.method !== 'monitor') return defaultHandler(m, c);
    if (first) {
      first = false;
      return c.destroy();
    }
    c.reply(m.id, { Bridge: { u1: { new: { name: 'a' } } } });
  };
  const c = await connect(t, fake);
  await c.monitor('Open_vSwitch', { Bridge: {} });
  assert.equal(c.rows('Bridge')[0]!.name, 'a');
  assert.equal(fake.conns.length, 2);
});

test('monitor() called while disconnected is sent once on the new connection (no duplicate id)', async (t) => {
  const fake = await startFakeOvsdb(t);
  const c = await connect(t, fake, { backoffMinMs: 20 });
  const down = fake.restart(200);
  await new Promise((r) => setTimeout(r, 30));
  await c.monitor('Open_vSwitch', { Bridge: {} });
  await down;
  const counts = fake.conns.map((conn) => conn.received.filter((m) => m.method === 'monitor').length);
  assert.deepEqual(
    counts.filter((n) => n > 0),
    [1],
  );
});

test('reconnect: false — after a drop every request fails with EOVSDB_CONN at once', async (t) => {
  const fake = await startFakeOvsdb(t);
  const c = await connect(t, fake, { reconnect: false });
  fake.dropAll();
  await new Promise((r) => setTimeout(r, 30));
  const t0 = Date.now();
  await assert.rejects(c.echo(), isCode('EOVSDB_CONN'));
  assert.ok(Date.now() - t0 < 100);
  assert.equal(fake.conns.length, 1);
});

test('a reply over maxMessageBytes fails the request with EOVSDB_PROTO; the client reconnects', async (t) => {
  const fake = await startFakeOvsdb(t);
  fake.handler = (m, c) =>
    m.method === 'transact' ? c.reply(m.id, [{ rows: [{ name: 'x'.repeat(5000) }] }, {}]) : defaultHandler(m, c);
  const c = await connect(t, fake, { maxMessageBytes: 1024 });
  await assert.rejects(c.transact('Open_vSwitch', OPS), isCode('EOVSDB_PROTO'));
  await c.echo();
  assert.equal(fake.conns.length, 2);
});

test('reconnect backoff doubles from backoffMinMs and is capped at backoffMaxMs', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 100].map((a) => backoffDelay(a + 1, { baseMs: 100, capMs: 2000 })),
    [100, 200, 400, 800, 1600, 2000, 2000],
  );
});
