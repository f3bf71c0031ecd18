// Runs plans against OVSDB. Commands that arrive while a transaction is in flight are planned
// one after another against the same cache snapshot and sent as ONE transaction (each still
// answered on its own); plans whose names overlap wait for the next round. If a shared
// transaction fails, its commands are re-run one by one so a bad command cannot fail the others.
// A transaction lost to a concurrent writer (a `wait` failed, a unique name was taken, the
// connection dropped) is re-planned from the fresh cache, a bounded number of times.
import { Code, contended, OvsdbError, OvsdbTxnError, type AppError } from '../../lib/errors.ts';
import type { Client } from '../ovsdb/client.ts';
import { curCfg, transactAndWait, VSWITCH_DB } from '../ovsdb/vswitch.ts';
import type { Operation } from '../ovsdb/types.ts';
import { conflict } from '../planners/errors.ts';
import { mutates, type Env, type Plan, type Planner } from '../planners/plan.ts';
import { MONITOR_SPEC, View } from '../planners/view.ts';

/** Tuning knobs (tests shrink them). */
export interface EngineOptions {
  /** How long to wait for ovs-vswitchd to apply a change (ms). */
  applyTimeoutMs?: number;
  /** Attempts per command when racing other writers. */
  maxAttempts?: number;
  /** Most commands in one shared transaction. */
  maxBatch?: number;
  /**
   * Longest wait (ms) for the clients a round just answered to send their next command before
   * the next round starts; the wait is also at most half of that round's time (default 10).
   */
  maxLingerMs?: number;
}

interface Item {
  planner: Planner<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  solo: boolean;
  attempts: number;
}

/**
 * A transaction failure that no retry can fix, as the command's own error: a unique name used
 * twice by rows this transaction inserts (ovsdb-server says "inserted by this transaction" for
 * both) is ECONFLICT naming it, at once, not ECONTENDED after every attempt.
 */
export function doomed(err: unknown): AppError | undefined {
  if (!(err instanceof OvsdbTxnError) || err.error !== 'constraint violation') return undefined;
  const d = err.opDetails ?? '';
  const m = /rows in "(\w+)" table to have identical values \((.*?)\) for index/.exec(d);
  if (!m || (d.match(/was inserted by this transaction/g) ?? []).length < 2) return undefined;
  return conflict(`${m[1]} name ${m[2]} would be used by two new rows of one command`, { table: m[1], name: m[2] });
}

/** True for failures that mean "the database moved under us": re-plan and retry. */
export function isRace(err: unknown): boolean {
  if (doomed(err)) return false;
  if (err instanceof OvsdbTxnError) {
    // A failed `wait`, a name another writer just took (unique index), a row it just removed;
    // other constraint violations (a value out of range) are the command's own fault.
    if (err.error === 'constraint violation') return /identical values/.test(err.opDetails ?? '');
    return err.error === 'timed out' || err.error === 'referential integrity violation';
  }
  return err instanceof OvsdbError && err.code === Code.EOVSDB_CONN;
}

type Batch = { it: Item; plan: Plan<unknown> }[];

/** Serialises all OVSDB writes of one process through one queue, batching what arrives together. */
export class Engine {
  /**
   * Counters for logs and tests: transactions sent, commands answered by them, largest batch, failed shared
   * transactions re-run alone.
   */
  readonly stats = { transactions: 0, commands: 0, maxBatch: 0, splits: 0 };
  private queue: Item[] = [];
  private busy = false;
  private arrived: (() => void) | undefined;
  private readonly o: Required<EngineOptions>;

  constructor(
    readonly client: Client,
    readonly env: Env,
    opts: EngineOptions = {},
  ) {
    this.o = { applyTimeoutMs: 10000, maxAttempts: 8, maxBatch: 64, maxLingerMs: 10, ...opts };
  }

  /** Starts the monitor the planners read (idempotent per client). */
  async start(): Promise<void> {
    await this.client.monitor(VSWITCH_DB, MONITOR_SPEC);
  }

  /** Queues one planner; resolves with its result once its transaction has been applied. */
  commit<R>(planner: Planner<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ planner, resolve: resolve as (v: unknown) => void, reject, solo: false, attempts: 0 });
      this.arrived?.();
      void this.pump();
    });
  }

  // Rounds until the queue is empty. After a round that answered n > 1 commands, those n clients
  // are about to send their next ones: starting the next round with the first to arrive would
  // leave the rest for the round after (batches of 1, n-1, 1, ... each paying ovs-vswitchd's
  // whole reconfiguration), so wait briefly for them (n more than were queued already).
  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      let last = { n: 0, ms: 0 };
      for (;;) {
        // Those already queued arrived during the round; the n answered come on top of them.
        if (last.n > 1)
          await this.linger(
            Math.min(this.o.maxBatch, this.queue.length + last.n),
            Math.min(this.o.maxLingerMs, last.ms / 2),
          );
        if (!this.queue.length) break;
        const t0 = performance.now();
        last = { n: await this.round(), ms: performance.now() - t0 };
      }
    } finally {
      this.busy = false;
    }
  }

  // Resolves once `n` commands are queued or `ms` have passed.
  private linger(n: number, ms: number): Promise<void> {
    if (this.queue.length >= n) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.arrived = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.arrived = () => {
        if (this.queue.length >= n) done();
      };
    });
  }

  // One transaction: plan what can go together, send it, answer or fall back; -> commands in it.
  private async round(): Promise<number> {
    if (!(await this.connected())) return 0;
    const batch = this.gather(new View(this.client.cache));
    if (batch.length === 0) return 0;
    try {
      await this.send(batch);
      this.stats.commands += batch.length;
      for (const b of batch) b.it.resolve(b.plan.result);
    } catch (err) {
      await this.failed(batch, err);
    }
    return batch.length;
  }

  // Waits for the OVSDB session; when it cannot come up, every queued command fails with why.
  private async connected(): Promise<boolean> {
    try {
      await this.client.ready();
      return true;
    } catch (err) {
      for (const it of this.queue.splice(0)) it.reject(err);
      return false;
    }
  }

  // Plans queued commands against one snapshot; those whose names overlap (or that must run
  // alone, or beyond maxBatch) go back to the queue for the next round.
  private gather(view: View): Batch {
    const taken = new Set<string>();
    const used = new Set<string>();
    const batch: Batch = [];
    const rest: Item[] = [];
    for (const it of this.queue.splice(0)) {
      const alone = it.solo || (batch.length > 0 && batch[0]!.it.solo);
      if (batch.length >= this.o.maxBatch || (alone && batch.length > 0)) {
        rest.push(it);
        continue;
      }
      let plan: Plan<unknown>;
      try {
        plan = it.planner(view, `c${batch.length}_`);
      } catch (err) {
        it.reject(err);
        continue;
      }
      const reads = plan.reads ?? [];
      if (plan.claims.some((c) => taken.has(c) || used.has(c)) || reads.some((r) => taken.has(r))) {
        rest.push(it);
        continue;
      }
      for (const c of plan.claims) taken.add(c);
      for (const r of reads) used.add(r);
      batch.push({ it, plan });
    }
    this.queue.unshift(...rest);
    return batch;
  }

  // Sends the batch's operations as one transaction (a repeat without a next_cfg bump).
  private async send(batch: Batch): Promise<void> {
    const ops: Operation[] = batch.flatMap((b) => b.plan.ops);
    this.stats.transactions += ops.length ? 1 : 0;
    this.stats.maxBatch = Math.max(this.stats.maxBatch, batch.length);
    if (ops.length === 0) return; // nothing to check or change
    if (mutates(ops)) {
      await transactAndWait(this.client, ops, this.o.applyTimeoutMs);
      return;
    }
    await this.client.transact(VSWITCH_DB, ops);
    await this.applied();
  }

  // A failed transaction: a timeout is final; a shared one is split; a lost race is re-planned.
  private async failed(batch: Batch, err: unknown): Promise<void> {
    if (err instanceof OvsdbError && err.code === Code.EOVSDB_TIMEOUT) {
      // Committed, but ovs-vswitchd has not applied it in time: re-running would only wait again.
      for (const b of batch) b.it.reject(err);
      return;
    }
    if (batch.length > 1) {
      this.stats.splits++;
      // Re-run each alone, in order, ahead of anything that arrived meanwhile.
      this.queue.unshift(...batch.map((b) => ({ ...b.it, solo: true })));
      return;
    }
    const it = batch[0]!.it;
    const own = doomed(err);
    if (own) return it.reject(own);
    if (!isRace(err)) return it.reject(err);
    if (++it.attempts < this.o.maxAttempts) {
      await this.settle(it.attempts);
      this.queue.unshift(it);
      return;
    }
    it.reject(contended(it.attempts, err));
  }

  // A repeat changes nothing, but what it confirms may not be applied yet (an earlier call
  // committed it and timed out, or another writer): answer once cur_cfg has caught up.
  private async applied(): Promise<void> {
    const next = this.client.rows('Open_vSwitch')[0]?.next_cfg;
    if (typeof next !== 'number' || (curCfg(this.client) ?? -Infinity) >= next) return;
    await this.client.waitFor(
      (c) => (curCfg(c) ?? -Infinity) >= next,
      this.o.applyTimeoutMs,
      'ovs-vswitchd to apply the configuration',
    );
  }

  // After a lost race: wait for the cache to move (or a short, growing pause), then re-plan.
  private settle(attempt: number): Promise<void> {
    const ms = Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random());
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve();
      }, ms);
      const off = this.client.onUpdate(() => {
        clearTimeout(timer);
        off();
        setTimeout(resolve, 1);
      });
    });
  }
}
