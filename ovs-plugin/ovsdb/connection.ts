// One JSON-RPC 1.0 connection to an OVSDB server (RFC 7047 section 4): requests with ids,
// notifications (id null), the server's `echo` answered, and our own echo as inactivity probe.
import { connect as netConnect, type Socket } from 'node:net';
import {
  Code,
  ovsdbConnError as connError,
  ovsdbRpcError,
  ovsdbTimeout as timeoutError,
  ValidationError,
  type OvsdbError,
} from '../../lib/errors.ts';
import { JsonStreamParser, DEFAULT_MAX_MESSAGE_BYTES } from './framing.ts';

/** Where the server listens: `unix:PATH` or `tcp:HOST:PORT` (ovs-vsctl --db syntax, RFC 7047 s. 6 ports). */
export type OvsdbAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** Parses `unix:PATH` / `tcp:HOST:PORT` / `tcp:[V6]:PORT`; throws EINVALID (field `db`) on anything else. */
export function parseOvsdbUrl(url: string): OvsdbAddress {
  if (url.startsWith('unix:') && url.length > 5) return { kind: 'unix', path: url.slice(5) };
  const m = /^tcp:(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(url);
  if (m) {
    const port = Number(m[3]);
    if (port > 0 && port < 65536) return { kind: 'tcp', host: (m[1] ?? m[2])!, port };
  }
  throw new ValidationError('db', `bad OVSDB address ${JSON.stringify(url)} (want unix:PATH or tcp:HOST:PORT)`, {
    url,
  });
}

/** Options of one connection (the client passes its own). */
export interface ConnectionOptions {
  /**
   * Echo probe after this long without traffic; the connection is dropped if the probe is unanswered as long again. 0 =
   * off.
   */
  probeIntervalMs?: number;
  maxMessageBytes?: number;
  connectTimeoutMs?: number;
  /** Method name -> handler for notifications (`update`, `locked`, ...). */
  onNotification?: (method: string, params: unknown[]) => void;
  onClose?: (err: OvsdbError) => void;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: OvsdbError) => void;
  method: string;
  timer?: NodeJS.Timeout;
}

/** Opens a stream to `url`; resolves once connected. */
export async function openConnection(url: string, opts: ConnectionOptions = {}): Promise<Connection> {
  const addr = parseOvsdbUrl(url);
  const sock = addr.kind === 'unix' ? netConnect(addr.path) : netConnect(addr.port, addr.host);
  const ms = opts.connectTimeoutMs ?? 5000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      sock.destroy();
      reject(connError(`connect ${url}: no answer within ${ms} ms`, { url, ms }));
    }, ms);
    sock.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(connError(`connect ${url}: ${err.message}`, { url }, err));
    });
  });
  return new Connection(url, sock, opts);
}

/** JSON-RPC 1.0 over one socket. After close, every pending and later request fails EOVSDB_CONN. */
export class Connection {
  private readonly parser: JsonStreamParser;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closedWith: OvsdbError | undefined;
  private lastRx = Date.now();
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;

  constructor(
    readonly url: string,
    private readonly sock: Socket,
    private readonly opts: ConnectionOptions = {},
  ) {
    this.parser = new JsonStreamParser(opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    sock.setNoDelay?.(true);
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
    sock.on('error', (err) => this.shutdown(connError(`${url}: ${err.message}`, { url }, err)));
    sock.on('close', () => this.shutdown(connError(`${url}: connection closed`, { url })));
    const probe = opts.probeIntervalMs ?? 5000;
    if (probe > 0) {
      this.probeTimer = setInterval(() => this.probe(probe), Math.max(10, Math.floor(probe / 2)));
      this.probeTimer.unref();
    }
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Sends `method` and resolves with `result`; a non-null `error` rejects with EOVSDB_RPC. */
  request(method: string, params: unknown[], timeoutMs = 0): Promise<unknown> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const p: Pending = { resolve, reject, method };
      if (timeoutMs > 0) {
        p.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(timeoutError(`OVSDB ${method}`, timeoutMs, { url: this.url }));
        }, timeoutMs);
      }
      this.pending.set(id, p);
      this.send({ method, params, id });
    });
  }

  /** Closes the socket; pending requests fail with EOVSDB_CONN. */
  close(): void {
    this.shutdown(connError(`${this.url}: connection closed by client`, { url: this.url }));
  }

  private send(msg: unknown): void {
    if (!this.closedWith) this.sock.write(JSON.stringify(msg));
  }

  private probe(interval: number): void {
    if (this.closedWith || this.probing || Date.now() - this.lastRx < interval) return;
    this.probing = true;
    this.request('echo', [], interval).then(
      () => {
        this.probing = false;
      },
      (err: OvsdbError) => {
        this.probing = false;
        if (err.code === Code.EOVSDB_TIMEOUT)
          this.shutdown(connError(`${this.url}: inactivity probe unanswered`, { url: this.url }));
      },
    );
  }

  private onData(chunk: Buffer): void {
    this.lastRx = Date.now();
    let msgs: unknown[];
    try {
      msgs = this.parser.push(chunk);
    } catch (err) {
      this.shutdown(err as OvsdbError);
      return;
    }
    for (const m of msgs) this.dispatch(m);
  }

  private dispatch(m: unknown): void {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return;
    const msg = m as { method?: unknown; params?: unknown; id?: unknown; result?: unknown; error?: unknown };
    if (typeof msg.method === 'string') {
      const params = Array.isArray(msg.params) ? msg.params : [];
      if (msg.id === null || msg.id === undefined) {
        this.opts.onNotification?.(msg.method, params);
      } else if (msg.method === 'echo') {
        // RFC 7047 4.1.11: the reply's result echoes the request's params.
        this.send({ result: params, error: null, id: msg.id });
      } else {
        this.send({ result: null, error: `unknown method ${msg.method}`, id: msg.id });
      }
      return;
    }
    if (typeof msg.id !== 'number') return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (p.timer) clearTimeout(p.timer);
    if (msg.error !== null && msg.error !== undefined) {
      const e = msg.error as { error?: unknown; details?: unknown } | string;
      const text = typeof e === 'string' ? e : String(e.error ?? JSON.stringify(e));
      const details = typeof e === 'object' && typeof e.details === 'string' ? e.details : undefined;
      p.reject(ovsdbRpcError(p.method, text, details));
    } else {
      p.resolve(msg.result);
    }
  }

  private shutdown(err: OvsdbError): void {
    if (this.closedWith) return;
    this.closedWith = err;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.sock.destroy();
    for (const [, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.opts.onClose?.(err);
  }
}
