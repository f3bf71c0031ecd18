// The daemon's OVSDB connection, made in the background so the daemon serves without Open
// vSwitch: one client (reconnecting with backoff, its monitor re-established after each loss)
// and one Engine, started once the first connection is up. Requests ask it for a context as
// contextFor says: 'if-running' takes the engine only if it is connected now; true waits for
// the first connection up to a bound (OVS_TIMEOUT) and is EOVSDB_CONN after it, never a hang.
// Once up, a lost connection is waited for by the client as before (its waitForConnectionMs).
import { ovsdbConnError, Code, OvsdbError, shuttingDown, type AppError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import { Client } from '../ovsdb/client.ts';
import { Engine } from '../commands/engine.ts';
import { engineCtx } from '../commands/registry.ts';
import type { OvsdbSource } from '../commands/context-for.ts';
import type { Ctx } from '../planners/plan.ts';
import { envOf, type Settings } from '../settings.ts';

type Waiter = { resolve(e: Engine): void; reject(e: AppError): void };

/** The daemon's background OVSDB connection and engine; `close()` ends both and fails every waiter. */
export class OvsdbLink implements OvsdbSource {
  readonly client: Client;
  private engine: Engine | undefined;
  private closed = false;
  private readonly waiters = new Set<Waiter>();
  private readonly upListeners: (() => void)[] = [];

  /** Starts connecting to `db` at once (a malformed url throws EINVALID naming `db` here, before anything is bound). */
  constructor(
    readonly db: string,
    private readonly s: Settings,
    private readonly log: Logger,
    private readonly waitMs = s.applyTimeoutMs,
  ) {
    this.client = new Client(db, { reconnect: true, logger: log });
    void this.startEngine();
  }

  /** True once the engine has started (the first connection came up; it may be reconnecting now). */
  get started(): boolean {
    return this.engine !== undefined;
  }

  /** True once the engine runs and the connection is up now. */
  get up(): boolean {
    return this.engine !== undefined && this.client.connected;
  }

  /** The engine's counters (zeros while it never started). */
  get stats(): Engine['stats'] {
    return this.engine?.stats ?? { transactions: 0, commands: 0, maxBatch: 0, splits: 0 };
  }

  /** Calls `fn` once, when the engine first comes up (at once if it is up already). */
  onFirstUp(fn: () => void): void {
    if (this.engine) fn();
    else this.upListeners.push(fn);
  }

  /** The engine's context if OVSDB is connected now; undefined otherwise (no wait). */
  async ifRunning(): Promise<Ctx | undefined> {
    return this.up ? engineCtx(this.engine!, this.s, this.log) : undefined;
  }

  /** The engine's context once it has started, waiting at most `waitMs`; EOVSDB_CONN after that. */
  async required(): Promise<Ctx> {
    if (this.engine) return engineCtx(this.engine, this.s, this.log);
    if (this.closed) throw shuttingDown();
    const engine = await new Promise<Engine>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(
          ovsdbConnError(`${this.db}: not connected within ${this.waitMs} ms (OVS_TIMEOUT)${this.why()}`, {
            url: this.db,
            ms: this.waitMs,
          }),
        );
      }, this.waitMs);
      const w: Waiter = {
        resolve: (e) => {
          clearTimeout(timer);
          this.waiters.delete(w);
          resolve(e);
        },
        reject: (e) => {
          clearTimeout(timer);
          this.waiters.delete(w);
          reject(e);
        },
      };
      this.waiters.add(w);
    });
    return engineCtx(engine, this.s, this.log);
  }

  /** Requests still waiting for the first connection fail with ESHUTDOWN; the client stays (close ends it). */
  stopWaiting(): void {
    for (const w of [...this.waiters]) w.reject(shuttingDown());
  }

  /** Closes the client (ending its reconnect loop) and fails whatever still waits. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopWaiting();
    await this.client.close();
  }

  // The engine's monitor needs a connection: each try waits the client's bound for one, then
  // tries again, until it is up or the link is closed.
  private async startEngine(): Promise<void> {
    const engine = new Engine(this.client, envOf(this.s), { applyTimeoutMs: this.s.applyTimeoutMs });
    for (let logged = false; !this.closed; ) {
      try {
        await engine.start();
        break;
      } catch (err) {
        if (this.closed) return;
        if (!logged)
          this.log.warn('ovsdb-not-connected', {
            url: this.db,
            message: err instanceof Error ? err.message : String(err),
          });
        logged = true;
        if (!(err instanceof OvsdbError && err.code === Code.EOVSDB_CONN))
          await new Promise((r) => setTimeout(r, 1000));
      }
    }
    if (this.closed) return;
    this.engine = engine;
    this.log.info('ovsdb-connected', { url: this.db });
    for (const w of [...this.waiters]) w.resolve(engine);
    for (const fn of this.upListeners.splice(0)) fn();
  }

  private why(): string {
    return this.client.connected ? ': its monitor is not up yet' : '';
  }
}
