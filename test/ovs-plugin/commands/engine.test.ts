// The engine against a scripted fake client: shared transactions, claims that keep conflicting
// plans apart, re-running a failed batch one by one, bounded retries of lost races.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../../ovs-plugin/commands/engine.ts';
import type { Plan } from '../../../ovs-plugin/planners/plan.ts';
import { OvsdbTxnError } from '../../../lib/errors.ts';
import type { Client } from '../../../ovs-plugin/ovsdb/client.ts';
import type { Operation } from '../../../ovs-plugin/ovsdb/types.ts';

/** A client whose transact is `script`; records every transaction's comments. */
function fakeClient(script: (ops: Operation[]) => unknown[]) {
  const sent: string[][] = [];
  const client = {
    cache: new Map(),
    rows: () => [{ _uuid: ['uuid', 'r'], cur_cfg: 1, next_cfg: 1 }],
    ready: async () => {},
    monitor: async () => {},
    onUpdate: () => () => {},
    waitFor: async () => {},
    transact: async (_db: string, ops: Operation[]) => {
      sent.push(ops.filter((o) => o.op === 'comment').map((o) => (o as { comment: string }).comment));
      return script(ops);
    },
  };
  return { client: client as unknown as Client, sent };
}

const ok = (ops: Operation[]) => ops.map((o) => (o.op === 'select' ? { rows: [{ next_cfg: 2 }] } : {}));
const change = (name: string, claims: string[] = [name]): Plan<string> => ({
  ops: [
    { op: 'comment', comment: name },
    { op: 'mutate', table: 'T', where: [], mutations: [] },
  ],
  result: name,
  claims,
});

test('commands that arrive together share one transaction, each answered with its own result', async () => {
  const { client, sent } = fakeClient(ok);
  const e = new Engine(client, { datapathType: 'netdev' });
  const got = await Promise.all(['a', 'b', 'c'].map((n) => e.commit(() => change(n))));
  assert.deepEqual(got, ['a', 'b', 'c']);
  assert.deepEqual(sent, [['a', 'b', 'c']]);
  assert.deepEqual(e.stats, { transactions: 1, commands: 3, maxBatch: 3, splits: 0 });
});

test('plans claiming the same name never share a transaction', async () => {
  const { client, sent } = fakeClient(ok);
  const e = new Engine(client, { datapathType: 'netdev' });
  await Promise.all([
    e.commit(() => change('x')),
    e.commit(() => change('a', ['Bridge:z'])),
    e.commit(() => change('b', ['Bridge:z'])),
  ]);
  assert.deepEqual(sent, [['x', 'a'], ['b']]);
});

test('a failed shared transaction is re-run one by one: only the bad command fails', async () => {
  const { client, sent } = fakeClient((ops) => {
    const bad = ops.findIndex((o) => o.op === 'comment' && o.comment === 'bad');
    if (bad >= 0)
      throw new OvsdbTxnError(bad + 1, ops[bad + 1], 'constraint violation', 'bogus is not one of the allowed values');
    return ok(ops);
  });
  const e = new Engine(client, { datapathType: 'netdev' });
  const res = await Promise.allSettled([
    e.commit(() => change('first')),
    e.commit(() => change('good1')),
    e.commit(() => change('bad')),
    e.commit(() => change('good2')),
  ]);
  assert.deepEqual(
    res.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as { code: string }).code)),
    ['first', 'good1', 'EOVSDB_TXN', 'good2'],
  );
  assert.deepEqual(sent, [['first', 'good1', 'bad', 'good2'], ['first'], ['good1'], ['bad'], ['good2']]);
  assert.equal(e.stats.splits, 1);
});

test('a lost race is re-planned; endless races give up with ECONTENDED', async () => {
  let n = 0;
  const { client } = fakeClient((ops) => {
    if (n++ < 2) throw new OvsdbTxnError(0, ops[0], 'timed out', undefined);
    return ok(ops);
  });
  const e = new Engine(client, { datapathType: 'netdev' }, { maxAttempts: 4 });
  let planned = 0;
  assert.equal(
    await e.commit(() => {
      planned++;
      return change('r');
    }),
    'r',
  );
  assert.equal(planned, 3, 'planned again from the cache after each lost race');

  const always = fakeClient((ops) => {
    throw new OvsdbTxnError(0, ops[0], 'timed out', undefined);
  });
  const e2 = new Engine(always.client, { datapathType: 'netdev' }, { maxAttempts: 3 });
  await assert.rejects(
    e2.commit(() => change('r')),
    (err: { code: string }) => err.code === 'ECONTENDED',
  );
  assert.equal(always.sent.length, 3);
});

test('a repeat (wait operations only) is sent without a next_cfg bump', async () => {
  const { client, sent } = fakeClient((ops) => {
    assert.ok(
      ops.every((o) => o.op === 'wait' || o.op === 'comment'),
      'no mutation appended',
    );
    return ops.map(() => ({}));
  });
  const e = new Engine(client, { datapathType: 'netdev' });
  const plan: Plan<string> = {
    ops: [
      { op: 'comment', comment: 'w' },
      { op: 'wait', table: 'T', where: [], columns: [], until: '==', rows: [], timeout: 0 },
    ],
    result: 'same',
    claims: [],
  };
  assert.equal(await e.commit(() => plan), 'same');
  assert.deepEqual(sent, [['w']]);
});

test('a name two new rows of one transaction share can never commit: ECONFLICT at once, no retries', async () => {
  // The commit error ovsdb-server 3.1 returns for it (measured with ovsdb-client transact).
  const details =
    'Transaction causes multiple rows in "Bridge" table to have identical values (x) for index on column "name".  ' +
    'First row, with UUID a588724e-b869-439b-8d0f-8c206bccb876, was inserted by this transaction.  ' +
    'Second row, with UUID 0350a831-5435-4831-a55a-82c9586ba534, was inserted by this transaction.';
  const doomed = fakeClient((ops) => {
    throw new OvsdbTxnError(ops.length, undefined, 'constraint violation', details);
  });
  const e = new Engine(doomed.client, { datapathType: 'netdev' }, { maxAttempts: 8 });
  await assert.rejects(
    e.commit(() => change('d')),
    (err: { code: string; details: { name: string } }) => err.code === 'ECONFLICT' && err.details.name === 'x',
  );
  assert.equal(doomed.sent.length, 1);
  // The same index error against a row that existed before is another writer's: a race, retried.
  const raced = fakeClient((ops) => {
    throw new OvsdbTxnError(
      ops.length,
      undefined,
      'constraint violation',
      details.replace(
        /First row(.*?)was inserted by this transaction/,
        'First row$1existed in the database before this transaction and was not modified by the transaction',
      ),
    );
  });
  const e2 = new Engine(raced.client, { datapathType: 'netdev' }, { maxAttempts: 3 });
  await assert.rejects(
    e2.commit(() => change('r')),
    (err: { code: string }) => err.code === 'ECONTENDED',
  );
  assert.equal(raced.sent.length, 3);
});

test('clients a round just answered are waited for (briefly): their next commands share one transaction', async () => {
  const { client, sent } = fakeClient(ok);
  const slow = client.transact.bind(client);
  (client as { transact: typeof slow }).transact = async (db, ops) => {
    await new Promise((r) => setTimeout(r, 20));
    return slow(db, ops);
  };
  const e = new Engine(client, { datapathType: 'netdev' });
  // Two clients, each sending its next command a moment (1 ms, 4 ms) after its answer.
  await Promise.all(
    ['a', 'b'].map(async (name, k) => {
      for (let i = 0; i < 3; i++) {
        await e.commit(() => change(`${name}${i}`));
        await new Promise((r) => setTimeout(r, 1 + 3 * k));
      }
    }),
  );
  assert.deepEqual(sent, [
    ['a0', 'b0'],
    ['a1', 'b1'],
    ['a2', 'b2'],
  ]);
});
