// The OVSDB client (RFC 7047): transact with every result checked, monitor with a local cache,
// echo keepalive both ways, reconnect with capped backoff that re-establishes the monitors.
// `connectOvsdb(url)` takes 'unix:PATH' | 'tcp:HOST:PORT' | 'tcp:[V6]:PORT' (a malformed url is
// EOVSDB_CONN at once) and resolves when connected; the cache is current when transact()
// resolves. Beside it: errors.ts (typed errors), vswitch.ts (waiting for ovs-vswitchd),
// notation.ts (RFC 7047 5.1 values), rows.ts (typed rows), connection.ts and framing.ts.
import { backoffDelay, sleep } from '../../lib/backoff.ts';
import type { Logger } from '../../lib/log.ts';
import { applyTableUpdates, touchAll, type Cache, type TableUpdates } from './cache.ts';
import { openConnection, parseOvsdbUrl, type Connection } from './connection.ts';
import { Code, OvsdbError, ovsdbConnError as connError, ovsdbTimeout as timeoutError } from '../../lib/errors.ts';
import { checkTransactResults } from './results.ts';
import type { CachedRow, MonitorSpec, Operation, OperationResult, OvsdbClient } from './types.ts';

/** Re-exported so callers can import the client and its errors from one module. */
export { OvsdbError, OvsdbTxnError } from '../../lib/errors.ts';

/** Options of connectOvsdb. */
export interface ConnectOptions {
  /** Reconnect after a lost connection (default true). */
  reconnect?: boolean;
  /** Reconnect backoff: doubling from min (100 ms) to max (2000 ms). */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** Per request (default 30000; 0 = none). */
  requestTimeoutMs?: number;
  /** How long a request made while disconnected waits for a connection (default 10000). */
  waitForConnectionMs?: number;
  /** Our echo after this much silence (default 5000; 0 = off). */
  probeIntervalMs?: number;
  /** Largest message accepted (default 64 MiB). */
  maxMessageBytes?: number;
  logger?: Logger;
}

type Waiter = { resolve: () => void; reject: (e: OvsdbError) => void };
// Updates that arrive before a monitor's initial reply is applied wait in `buffered` (stream order).
type MonitorEntry = { db: string; tables: Record<string, MonitorSpec>; ready: boolean; buffered: TableUpdates[] };
type UpdateListener = (db: string, updates: TableUpdates) => void;

/** Connects to `url` (unix:PATH or tcp:HOST:PORT) and resolves once the session is up. */
export async function connectOvsdb(url: string, opts: ConnectOptions = {}): Promise<Client> {
  const c = new Client(url, opts);
  try {
    await c.ready();
  } catch (err) {
    await c.close();
    throw err;
  }
  return c;
}

/** RFC 7047 client with reconnect; `cache` is current when transact() resolves. */
export class Client implements OvsdbClient {
  readonly cache: Cache = new Map();
  private lost = 0;
  private conn: Connection | undefined;
  private closed = false;
  private lastError: OvsdbError | undefined;
  private waiters = new Set<Waiter>();
  private readonly monitors = new Map<string, MonitorEntry>();
  private nextMonitor = 1;
  private readonly listeners = new Set<UpdateListener>();
  /** Aborted by close(): ends the reconnect backoff at once. */
  private readonly closing = new AbortController();
  private readonly o: Required<Omit<ConnectOptions, 'logger'>> & { logger?: Logger };

  constructor(
    readonly url: string,
    opts: ConnectOptions = {},
  ) {
    this.o = {
      reconnect: true,
      backoffMinMs: 100,
      backoffMaxMs: 2000,
      requestTimeoutMs: 30000,
      waitForConnectionMs: 10000,
      probeIntervalMs: 5000,
      maxMessageBytes: 64 * 1024 * 1024,
      ...opts,
    };
    parseOvsdbUrl(url);
    void this.connectLoop();
  }

  /** How many times an established connection was lost (each followed by a reconnect attempt). */
  get reconnects(): number {
    return this.lost;
  }

  get connected(): boolean {
    return this.conn !== undefined && !this.conn.closed;
  }

  /** RFC 7047 4.1.3 transact; every result checked, including the trailing commit error. */
  async transact(db: string, ops: Operation[]): Promise<OperationResult[]> {
    const results = await this.request('transact', [db, ...ops]);
    return checkTransactResults(ops, results);
  }

  /** RFC 7047 4.1.5 monitor: initial contents into the cache, then `update` notifications (4.1.6). */
  async monitor(db: string, tables: Record<string, MonitorSpec>): Promise<void> {
    const conn = await this.liveConn();
    // Registered and sent in one step on a live connection, so a resync never sends it twice.
    const id = `m${this.nextMonitor++}`;
    const m: MonitorEntry = { db, tables, ready: false, buffered: [] };
    this.monitors.set(id, m);
    try {
      this.settle(m, await conn.request('monitor', [db, id, monitorRequests(tables)], this.o.requestTimeoutMs));
    } catch (err) {
      const lost = err instanceof OvsdbError && err.code === Code.EOVSDB_CONN && this.o.reconnect && !this.closed;
      if (!lost) {
        this.monitors.delete(id);
        throw err;
      }
      // The connection dropped mid-request: the reconnect's resync sends it; wait for that.
      await this.waitFor(
        () => m.ready,
        this.o.waitForConnectionMs + this.o.requestTimeoutMs,
        'monitor after reconnect',
      ).catch((e: unknown) => {
        this.monitors.delete(id);
        throw e;
      });
    }
  }

  /** RFC 7047 4.1.11 echo, used as a liveness check. */
  async echo(): Promise<void> {
    await this.request('echo', ['ping']);
  }

  /** Resolves when connected (and monitors re-established); EOVSDB_CONN after waitForConnectionMs. */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(connError(`${this.url}: client closed`, { url: this.url }));
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const ms = this.o.waitForConnectionMs;
      const w: Waiter = {
        resolve: () => {
          clearTimeout(timer);
          this.waiters.delete(w);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          this.waiters.delete(w);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const why = this.lastError ? `: ${this.lastError.message}` : '';
        w.reject(connError(`${this.url}: not connected within ${ms} ms${why}`, { url: this.url, ms }, this.lastError));
      }, ms);
      this.waiters.add(w);
    });
  }

  /** Sends one JSON-RPC request, waiting (bounded) for a connection first. */
  async request(method: string, params: unknown[], timeoutMs = this.o.requestTimeoutMs): Promise<unknown> {
    return (await this.liveConn()).request(method, params, timeoutMs);
  }

  // ready() can resolve just before the connection drops again: wait again, within one bound.
  private async liveConn(): Promise<Connection> {
    const end = Date.now() + this.o.waitForConnectionMs;
    for (;;) {
      await this.ready();
      const conn = this.conn;
      if (conn && !conn.closed) return conn;
      if (Date.now() >= end) throw connError(`${this.url}: connection lost`, { url: this.url }, this.lastError);
      await sleep(5);
    }
  }

  /** Rows of `table` in the monitor cache. */
  rows(table: string): CachedRow[] {
    return [...(this.cache.get(table)?.values() ?? [])];
  }

  /** Calls `fn` after each applied update and after a resync on reconnect; returns unsubscribe. */
  onUpdate(fn: UpdateListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Resolves once `pred(this)` holds, re-checked after every cache update; EOVSDB_TIMEOUT otherwise. */
  waitFor(pred: (c: Client) => boolean, timeoutMs: number, what = 'wait for OVSDB state'): Promise<void> {
    if (pred(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const off = this.onUpdate(() => {
        if (!pred(this)) return;
        off();
        clearTimeout(timer);
        resolve();
      });
      const timer = setTimeout(() => {
        off();
        reject(timeoutError(what, timeoutMs, { url: this.url }));
      }, timeoutMs);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    this.conn?.close();
    const err = connError(`${this.url}: client closed`, { url: this.url });
    for (const w of [...this.waiters]) w.reject(err);
  }

  private applyUpdates(db: string, updates: TableUpdates): void {
    applyTableUpdates(this.cache, updates);
    for (const fn of [...this.listeners]) fn(db, updates);
  }

  private onNotification(method: string, params: unknown[]): void {
    if (method !== 'update') return;
    const m = this.monitors.get(String(params[0]));
    if (!m) return;
    if (m.ready) this.applyUpdates(m.db, params[1] as TableUpdates);
    else m.buffered.push(params[1] as TableUpdates);
  }

  private settle(m: MonitorEntry, initial: unknown): void {
    m.ready = true; // synchronous: nothing can arrive between this and the buffered updates
    const buffered = m.buffered.splice(0);
    this.applyUpdates(m.db, initial as TableUpdates);
    for (const u of buffered) this.applyUpdates(m.db, u);
  }

  // Connect, resync monitors, serve until the connection drops, back off, repeat.
  private async connectLoop(): Promise<void> {
    let attempt = 0;
    while (!this.closed) {
      let closedPromise: Promise<void> | undefined;
      try {
        let onClosed!: () => void;
        closedPromise = new Promise((r) => {
          onClosed = r;
        });
        const conn = await openConnection(this.url, {
          probeIntervalMs: this.o.probeIntervalMs,
          maxMessageBytes: this.o.maxMessageBytes,
          onNotification: (m, p) => this.onNotification(m, p),
          onClose: (e) => {
            this.lastError = e;
            onClosed();
          },
        });
        if (this.closed) {
          conn.close();
          break;
        }
        await this.resync(conn);
        this.conn = conn;
        if (attempt > 0 || this.lost > 0) this.o.logger?.info('ovsdb-reconnected', { url: this.url });
        attempt = 0;
        for (const w of [...this.waiters]) w.resolve();
        await closedPromise;
        this.conn = undefined;
        if (this.closed) break;
        this.lost++;
        this.o.logger?.warn('ovsdb-disconnected', { url: this.url, error: this.lastError?.message });
        if (!this.o.reconnect) {
          this.failWaiters();
          return;
        }
      } catch (err) {
        this.lastError = err instanceof OvsdbError ? err : connError(String(err), {}, err);
        if (!this.o.reconnect) {
          this.failWaiters();
          return;
        }
      }
      const ms = backoffDelay(++attempt, { baseMs: this.o.backoffMinMs, capMs: this.o.backoffMaxMs });
      await sleep(ms, this.closing.signal).catch(() => {}); // closed: the loop ends
    }
  }

  // Re-sends every monitor on a fresh connection; the cache is rebuilt from their initial replies.
  private async resync(conn: Connection): Promise<void> {
    if (this.monitors.size === 0) return;
    for (const m of this.monitors.values()) {
      m.ready = false;
      m.buffered = [];
    }
    this.cache.clear();
    touchAll(this.cache);
    for (const [id, m] of [...this.monitors]) {
      this.settle(m, await conn.request('monitor', [m.db, id, monitorRequests(m.tables)], this.o.requestTimeoutMs));
    }
  }

  private failWaiters(): void {
    this.closed = true;
    const err = connError(`${this.url}: connection lost (reconnect disabled)`, { url: this.url }, this.lastError);
    for (const w of [...this.waiters]) w.reject(err);
  }
}

function monitorRequests(tables: Record<string, MonitorSpec>): Record<string, { columns?: string[] }> {
  const out: Record<string, { columns?: string[] }> = {};
  for (const [t, spec] of Object.entries(tables)) out[t] = spec.columns ? { columns: spec.columns } : {};
  return out;
}
