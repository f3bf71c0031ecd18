// The one "which context for these arguments" rule both transports use: needsOvsdb false -> no
// OVSDB (the source is not asked), 'if-running' -> the source's context if it has one now, else
// none; true, absent, or a plan command -> the source's, waited for; a local command asks nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contextFor, runWith, type OvsdbSource } from '../../../ovs-plugin/commands/context-for.ts';
import type { Command, OvsdbNeed } from '../../../ovs-plugin/commands/types.ts';
import { hasOvsdb } from '../../../ovs-plugin/nics/ovs-need.ts';
import type { Ctx, Planner } from '../../../ovs-plugin/planners/plan.ts';
import { readSettings } from '../../../ovs-plugin/settings.ts';

const usage = { summary: 's', args: [], example: {} };
const validate = (raw: unknown) => raw as number;
const s = readSettings({ OVS_PLUGIN_STATE: '/nonexistent/nics.json' });
const engineCtx = {
  env: { datapathType: 'system', vlanLayout: 'fake' },
  nics: s,
  commit: async () => 'committed',
} as unknown as Ctx;

/** A source that counts what it is asked; `now` is what ifRunning gives. */
function source(now: Ctx | undefined) {
  const asked = { ifRunning: 0, required: 0 };
  const src: OvsdbSource = {
    ifRunning: async () => {
      asked.ifRunning++;
      return now;
    },
    required: async () => {
      asked.required++;
      return engineCtx;
    },
  };
  return { src, asked };
}

const runNeeding = (need: OvsdbNeed | undefined): Command<number, Ctx> => ({
  mode: 'run',
  usage,
  validate,
  run: async (_a, c) => c,
  ...(need === undefined ? {} : { needsOvsdb: () => need }),
});

test(
  'contextFor: false never asks the source; if-running takes what it has ' + 'now; true and absent wait for it',
  async () => {
    const none = source(undefined);
    const c0 = await contextFor(runNeeding(false), 1, s, none.src);
    assert.equal(hasOvsdb(c0), false);
    assert.deepEqual(none.asked, { ifRunning: 0, required: 0 });

    const c1 = await contextFor(runNeeding('if-running'), 1, s, none.src);
    assert.equal(hasOvsdb(c1), false, 'not connected now: runs without OVSDB');
    assert.deepEqual(none.asked, { ifRunning: 1, required: 0 });
    const up = source(engineCtx);
    assert.equal(await contextFor(runNeeding('if-running'), 1, s, up.src), engineCtx);

    assert.equal(await contextFor(runNeeding(true), 1, s, none.src), engineCtx);
    assert.equal(await contextFor(runNeeding(undefined), 1, s, none.src), engineCtx);
    assert.deepEqual(none.asked, { ifRunning: 1, required: 2 });
  },
);

test('runWith: a plan command is committed through the required context, a local one asks nothing', async () => {
  const planner = (() => ({ ops: [], result: 'x' })) as unknown as Planner<string>;
  const plan: Command<number, string> = { mode: 'plan', usage, validate, plan: () => planner };
  const local: Command<number, string> = { mode: 'local', usage, validate, local: async (a) => `local ${a}` };
  const { src, asked } = source(undefined);
  assert.equal(await runWith(plan, 1, s, src), 'committed');
  assert.equal(await runWith(local, 2, s, src), 'local 2');
  assert.deepEqual(asked, { ifRunning: 0, required: 1 });
});

test("contextFor: a failing required() (EOVSDB_CONN) is the command's error", async () => {
  const err = Object.assign(new Error('not connected'), { code: 'EOVSDB_CONN' });
  const src: OvsdbSource = {
    ifRunning: async () => undefined,
    required: async () => {
      throw err;
    },
  };
  await assert.rejects(contextFor(runNeeding(true), 1, s, src), err);
});
