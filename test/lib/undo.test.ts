// UndoStack / withUndo: reverse order, failed undos logged (and answered by rollback) and not thrown over the cause.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../lib/log.ts';
import { UndoStack, withUndo } from '../../lib/undo.ts';

test('withUndo: on failure the undos run last first, a failing one is logged, the cause is rethrown', async () => {
  const lines: string[] = [];
  const ran: string[] = [];
  const cause = new Error('step 3 failed');
  await assert.rejects(
    withUndo(
      createLogger((l) => lines.push(l)),
      async (undo) => {
        undo.push('one', () => {
          ran.push('one');
        });
        undo.push('two', async () => {
          ran.push('two');
          throw new Error('undo two broke');
        });
        undo.push('three', async () => {
          ran.push('three');
        });
        throw cause;
      },
    ),
    (e: unknown) => e === cause,
  );
  assert.deepEqual(ran, ['three', 'two', 'one']);
  assert.deepEqual(lines, ['warn undo-failed step=two error="undo two broke"']);
});

test('withUndo: on success nothing is undone; rollback twice runs each undo once', async () => {
  const ran: string[] = [];
  assert.equal(
    await withUndo(undefined, async (undo) => {
      undo.push('x', () => {
        ran.push('x');
      });
      return 7;
    }),
    7,
  );
  assert.equal(ran.length, 0);
  const u = new UndoStack();
  u.push('y', () => {
    ran.push('y');
  });
  assert.equal(u.size, 1);
  await u.rollback();
  await u.rollback();
  assert.deepEqual(ran, ['y']);
});

test('rollback answers the undos that failed ([] when clean) and logs each', async () => {
  const lines: string[] = [];
  const u = new UndoStack(createLogger((l) => lines.push(l)));
  u.push('a', () => {});
  u.push('b', () => {
    throw new Error('b broke');
  });
  u.push('c', async () => {
    throw new Error('c broke');
  });
  assert.deepEqual(await u.rollback(), [
    { what: 'c', error: 'c broke' },
    { what: 'b', error: 'b broke' },
  ]);
  assert.deepEqual(lines, ['warn undo-failed step=c error="c broke"', 'warn undo-failed step=b error="b broke"']);
  u.push('d', () => {});
  assert.deepEqual(await u.rollback(), []);
});
