// One connection, in process, with a stand-in for the command layer: whatever a command throws
// or returns (a TypeError, a value JSON cannot encode) becomes an error reply and the connection
// keeps serving; the gate bounds commands executing at once across connections, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../lib/log.ts';
import { Connection, type ConnectionContext } from '../../../ovs-plugin/transports/connection.ts';
import { Gate } from '../../../ovs-plugin/transports/gate.ts';
import { LineBudget } from '../../../ovs-plugin/transports/line-budget.ts';
import { serveLimits, type ServeLimits } from '../../../ovs-plugin/transports/limits.ts';
import { RateLimitedLog } from '../../../ovs-plugin/transports/log-limit.ts';
import { exchange } from './rpc.ts';

async function serveWith(
  t: { after(f: () => unknown): void },
  run: ConnectionContext['run'],
  maxInflight = 4,
  over: Partial<ServeLimits> = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'conn-'));
  const path = join(dir, 's.sock');
  const lines: string[] = [];
  const log = createLogger((l) => lines.push(l));
  const gate = new Gate(maxInflight);
  const limits = { ...serveLimits(1024), ...over };
  const ctx: ConnectionContext = {
    limits,
    gate,
    buffered: new LineBudget(limits.maxBufferedChars),
    queued: { bytes: 0 },
    run,
    stopping: () => false,
    log,
    warn: new RateLimitedLog(log),
    countInflight: () => undefined,
  };
  let id = 0;
  const socks: Socket[] = [];
  const server = createServer((s) => {
    socks.push(s);
    void new Connection(s, ctx, ++id, () => undefined);
  });
  await new Promise<void>((r) => server.listen(path, r));
  t.after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { path, lines, gate, socks };
}

const req = (id: number, method: string) => JSON.stringify({ jsonrpc: '2.0', id, method, params: {} }) + '\n';

test('a throw or an unencodable result in a command is an error reply; the connection goes on', async (t) => {
  const { path } = await serveWith(t, async (method) => {
    if (method === 'type') throw new TypeError('boom');
    if (method === 'string') throw 'not an error'; // eslint-disable-line no-throw-literal
    if (method === 'bigint') return 10n;
    return 'ok';
  });
  const replies = await exchange(path, req(1, 'type') + req(2, 'string') + req(3, 'bigint') + req(4, 'fine'), 4);
  const byId = new Map(replies.map((r) => [r.id, r]));
  assert.equal(byId.get(1).error.data.code, 'EINTERNAL');
  assert.equal(byId.get(2).error.data.code, 'EINTERNAL');
  assert.equal(byId.get(3).error.data.code, 'EINTERNAL', 'the reply that could not be encoded');
  assert.equal(byId.get(4).result, 'ok');
});

test('the gate: at most maxInflight commands at once over all connections; the rest are answered after', async (t) => {
  let running = 0;
  let peak = 0;
  const { path, gate } = await serveWith(
    t,
    async () => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
      return 'done';
    },
    3,
  );
  const text = Array.from({ length: 20 }, (_, i) => req(i + 1, 'slow')).join('');
  const all = await Promise.all([exchange(path, text, 20, 10000), exchange(path, text, 20, 10000)]);
  assert.deepEqual(
    all.map((r) => r.length),
    [20, 20],
  );
  assert.equal(peak, 3);
  assert.deepEqual([gate.inUse, gate.queued], [0, 0]);
});

test('rate-limited warnings: 5 per key and window, then one suppressed count', () => {
  const lines: string[] = [];
  let now = 0;
  const w = new RateLimitedLog(
    createLogger((l) => lines.push(l)),
    5,
    1000,
    () => now,
  );
  for (let i = 0; i < 100; i++) w.warn('1:bad', 'ovs-request-refused', { i });
  w.warn('2:bad', 'ovs-request-refused', {});
  assert.equal(lines.length, 6);
  now = 1500;
  w.warn('1:bad', 'ovs-request-refused', {});
  assert.match(lines[6]!, /^warn log-suppressed event=ovs-request-refused n=95 /);
  w.flush('1:');
  w.flush('2:');
  assert.equal(lines.length, 8, 'nothing more to report');
});

test('replies queued to all clients together stay near their total when no client reads', async (t) => {
  const total = 1024 * 1024;
  const reply = 'r'.repeat(1000);
  const { path, socks } = await serveWith(t, async () => reply, 4, { maxQueuedRepliesTotal: total });
  const n = 20;
  const clients = [];
  for (let i = 0; i < n; i++) {
    const c = createConnection(path);
    t.after(() => c.destroy());
    c.on('error', () => undefined);
    c.pause(); // never reads
    await new Promise((r) => c.once('connect', r));
    c.write(Array.from({ length: 2000 }, (_, k) => req(k + 1, 'big')).join(''));
    clients.push(c);
  }
  // Each client alone stays under its own 256 KiB; together they would queue 5 MB.
  let last = -1;
  for (let same = 0; same < 5; ) {
    await new Promise((r) => setTimeout(r, 200));
    const now = socks.reduce((a, s) => a + s.writableLength, 0);
    same = now === last ? same + 1 : 0;
    last = now;
  }
  assert.ok(last <= total + n * 8 * 1024, `${last} bytes of replies queued, total ${total}`);
  // Reading again: every request is answered.
  const got = await Promise.all(
    clients.map(
      (c) =>
        new Promise<number>((resolve) => {
          let lines = 0;
          c.setEncoding('utf8');
          c.on('data', (d: string) => {
            for (let i = d.indexOf('\n'); i >= 0; i = d.indexOf('\n', i + 1)) lines++;
            if (lines === 2000) resolve(lines);
          });
          c.resume();
        }),
    ),
  );
  assert.deepEqual(
    got,
    clients.map(() => 2000),
  );
});
