// One dispatch for both transports: a plan command is committed through the context, a run
// command gets the context, a local one runs without asking for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dispatch } from '../../../ovs-plugin/commands/registry.ts';
import type { Command } from '../../../ovs-plugin/commands/types.ts';
import type { Ctx, Planner } from '../../../ovs-plugin/planners/plan.ts';

const usage = { summary: 's', args: [], example: {} };
const validate = (raw: unknown) => raw as number;

test('dispatch: plan -> ctx.commit(plan), run -> run(args, ctx), local -> local(args) without a ctx', async () => {
  const committed: unknown[] = [];
  const planner = (() => ({ ops: [], result: 'planned' })) as unknown as Planner<string>;
  const ctx = {
    env: { datapathType: 'system' },
    commit: async (p: Planner<unknown>) => {
      committed.push(p);
      return 'committed';
    },
  } as unknown as Ctx;
  const nics = { statePath: '/run/x/nics.json' } as unknown as Parameters<typeof dispatch>[3];
  let asked = 0;
  const make = () => {
    asked++;
    return ctx;
  };
  const plan: Command<number, string> = {
    mode: 'plan',
    usage,
    validate,
    plan: (a, env) => {
      assert.equal(a, 1);
      assert.equal(env, ctx.env);
      return planner;
    },
  };
  const run: Command<number, string> = {
    mode: 'run',
    usage,
    validate,
    run: async (a, c) => {
      assert.equal(c, ctx);
      return `ran ${a}`;
    },
  };
  const local: Command<number, string> = { mode: 'local', usage, validate, local: async (a) => `local ${a}` };
  assert.equal(await dispatch(plan, 1, make, nics), 'committed');
  assert.deepEqual(committed, [planner]);
  assert.equal(await dispatch(run, 2, make, nics), 'ran 2');
  assert.equal(asked, 2);
  assert.equal(await dispatch(local, 3, make, nics), 'local 3');
  assert.equal(asked, 2, 'a local command never asks for the context (exec does not connect)');
});
