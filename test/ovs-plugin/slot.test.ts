// A command's slot lent out for a wait: another command takes it meanwhile, the waiter takes one
// back before going on; at most maxLent waits are without a slot; outside a slot (exec), or
// after the command answered, a wait lends nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { holdingSlot, withoutSlot } from '../../ovs-plugin/slot.ts';
import { Gate } from '../../ovs-plugin/transports/gate.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` as a daemon command does: a slot of `gate` held around it. */
async function command<T>(gate: Gate, fn: () => Promise<T>): Promise<T> {
  await gate.acquire();
  try {
    return await holdingSlot(gate, fn);
  } finally {
    gate.release();
  }
}

test('a wait without its slot lets another command run; the waiter takes a slot back after', async () => {
  const gate = new Gate(1, 4);
  const order: string[] = [];
  let release!: () => void;
  const waited = new Promise<void>((r) => {
    release = r;
  });
  const a = command(gate, async () => {
    await withoutSlot(() => waited);
    order.push('a after its wait');
    assert.equal(gate.inUse, 1, 'a holds a slot again');
  });
  await sleep(10);
  assert.deepEqual([gate.inUse, gate.lent], [0, 1]);
  await command(gate, async () => {
    order.push('b');
  });
  release();
  await a;
  assert.deepEqual(order, ['b', 'a after its wait']);
  assert.deepEqual([gate.inUse, gate.queued, gate.lent], [0, 0, 0]);
});

test('past maxLent waits, a command keeps its slot while it waits', async () => {
  const gate = new Gate(3, 1);
  let release!: () => void;
  const waited = new Promise<void>((r) => {
    release = r;
  });
  const both = [command(gate, () => withoutSlot(() => waited)), command(gate, () => withoutSlot(() => waited))];
  await sleep(10);
  assert.deepEqual([gate.inUse, gate.lent], [1, 1], 'one lent its slot, the other kept it');
  release();
  await Promise.all(both);
  assert.deepEqual([gate.inUse, gate.lent], [0, 0]);
});

test('no slot to lend: without a command (exec), twice at once, or after the command answered', async () => {
  assert.equal(await withoutSlot(async () => 'ran'), 'ran');
  const gate = new Gate(1, 4);
  let later!: Promise<void>;
  await command(gate, async () => {
    await Promise.all([withoutSlot(() => sleep(5)), withoutSlot(() => sleep(5))]);
    assert.equal(gate.lent, 0);
    later = sleep(20).then(() =>
      withoutSlot(async () => {
        assert.deepEqual([gate.inUse, gate.lent], [0, 0]);
      }),
    );
  });
  await later;
  assert.deepEqual([gate.inUse, gate.queued, gate.lent], [0, 0, 0]);
});
