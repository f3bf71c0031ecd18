// Client of zinit's control socket, both generations:
//  1 (v0.2.0-v0.2.14, Zero-OS): one command line per connection, reply `{"state","body"}`, then close.
//  2 (v0.2.15+): JSON-RPC 2.0, one object per line, replies end in "\n".
// The generation is picked by what the socket answers to a JSON-RPC `service_list`: a gen-1
// server answers it with a `{"state":"error"}` line-protocol reply, which is harmless.
import { connect } from 'node:net';
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { sleep } from '../lib/backoff.ts';
import {
  ZinitError,
  zinitBadAnswer,
  zinitRefused,
  zinitSocketError,
  zinitSocketNotYet,
  zinitTimeout,
} from '../lib/errors.ts';

/** The client's errors (codes EZINIT*), defined in the registry with the others. */
export { ZinitError };

/** `status <name>` as zinit reports it (state is Rust debug text, e.g. "Running"). */
export interface ServiceStatus {
  name: string;
  pid: number;
  state: string;
  target: string;
  after: Record<string, string>;
}

/** Sends `payload` on a fresh connection and resolves with the reply text. */
function exchange(path: string, payload: string, untilNewline: boolean, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    let buf = '';
    let done = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(buf);
    };
    const timer = setTimeout(() => finish(zinitTimeout(path, timeoutMs)), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(payload));
    sock.on('data', (d: string) => {
      buf += d;
      if (untilNewline && buf.includes('\n')) {
        buf = buf.slice(0, buf.indexOf('\n'));
        finish(null);
      }
    });
    sock.on('end', () => finish(null));
    sock.on('close', () => finish(null));
    sock.on('error', (err) => finish(zinitSocketError(path, err)));
  });
}

/** Checks that `path` is a unix socket something listens on; throws EZINITSOCKET naming it. */
export async function checkSocket(
  path: string,
  timeoutMs = 3000,
  client = new ZinitClient(path, timeoutMs),
): Promise<1 | 2> {
  let st: Stats;
  try {
    st = await stat(path);
  } catch (err) {
    throw zinitSocketError(path, err);
  }
  if (!st.isSocket()) throw zinitSocketError(path);
  return client.generation();
}

/** How long to wait for a socket that is not there yet, how often to look, what to tell. */
export interface WaitSocketOptions {
  timeoutMs: number;
  pollMs?: number;
  signal?: AbortSignal;
  /** Called once, when the first look finds no socket (or nobody listening) yet. */
  onWait?: (err: ZinitError) => void;
}

/**
 * checkSocket, waiting while the socket is missing or refuses connections: zinit v0.2.14 starts
 * every unit before it binds its socket (its `app::init`), so a unit that asks at once may be
 * early. Anything else (not a socket, no permission, a protocol we do not speak) fails at once;
 * so does a socket still missing after `timeoutMs` (the last EZINITSOCKET).
 */
export async function waitForSocket(
  path: string,
  o: WaitSocketOptions,
  client = new ZinitClient(path),
): Promise<1 | 2> {
  const end = Date.now() + o.timeoutMs;
  for (let first = true; ; first = false) {
    o.signal?.throwIfAborted();
    try {
      return await checkSocket(path, 3000, client);
    } catch (err) {
      if (!zinitSocketNotYet(err) || Date.now() >= end) throw err;
      if (first) o.onWait?.(err as ZinitError);
    }
    await sleep(Math.min(o.pollMs ?? 100, Math.max(1, end - Date.now())));
  }
}

/** One zinit control socket; every call is one connection. */
export class ZinitClient {
  private gen: 1 | 2 | undefined;
  private nextId = 1;
  constructor(
    readonly path: string,
    readonly timeoutMs = 5000,
  ) {}

  /** Which protocol the socket speaks, asked once and remembered. */
  async generation(): Promise<1 | 2> {
    if (this.gen) return this.gen;
    const probe = JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'service_list', params: [] }) + '\n';
    const text = await exchange(this.path, probe, true, this.timeoutMs);
    let reply: Record<string, unknown>;
    try {
      reply = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw zinitBadAnswer(`zinit socket ${this.path}`, { path: this.path }, text);
    }
    if (reply.jsonrpc === '2.0') this.gen = 2;
    else if ('state' in reply) this.gen = 1;
    else throw zinitBadAnswer(`zinit socket ${this.path}`, { path: this.path });
    return this.gen;
  }

  /** Runs one command; gen 1 as a line (`monitor x`), gen 2 as method `service_<verb>`. */
  async call(verb: string, name?: string): Promise<unknown> {
    const gen = await this.generation();
    const command = name === undefined ? verb : `${verb} ${name}`;
    if (gen === 1) {
      const text = await exchange(this.path, command + '\n', false, this.timeoutMs);
      let reply: { state?: string; body?: unknown };
      try {
        reply = JSON.parse(text) as typeof reply;
      } catch {
        throw zinitBadAnswer(`zinit ${command}`, { command }, text);
      }
      if (reply.state !== 'ok') throw zinitRefused(command, reply.body);
      return reply.body;
    }
    const id = this.nextId++;
    const req = { jsonrpc: '2.0', id, method: `service_${verb}`, params: name === undefined ? [] : [name] };
    const text = await exchange(this.path, JSON.stringify(req) + '\n', true, this.timeoutMs);
    let reply: { result?: unknown; error?: { code?: number; message?: string; data?: unknown } };
    try {
      reply = JSON.parse(text) as typeof reply;
    } catch {
      throw zinitBadAnswer(`zinit ${command}`, { command }, text);
    }
    if (reply.error) {
      const body = [reply.error.message, reply.error.data].filter((x) => x !== undefined && x !== null).join(': ');
      throw zinitRefused(command, body, reply.error.code);
    }
    return reply.result;
  }

  /** Every service and its state. */
  async list(): Promise<Record<string, string>> {
    return (await this.call('list')) as Record<string, string>;
  }

  /** A service's status, or null when zinit does not know it. */
  async status(name: string): Promise<ServiceStatus | null> {
    try {
      return (await this.call('status', name)) as ServiceStatus;
    } catch (err) {
      if (err instanceof ZinitError && isUnknown(err)) return null;
      throw err;
    }
  }

  /** Loads `<config dir>/<name>.yaml` and starts it; "already monitored" is success. */
  async monitor(name: string): Promise<void> {
    try {
      await this.call('monitor', name);
    } catch (err) {
      if (err instanceof ZinitError && /already monitored/i.test(String(err.details.body))) return;
      throw err;
    }
  }

  /** Asks zinit to stop a service (it only signals; the process may still run just after). */
  async stop(name: string): Promise<void> {
    await this.call('stop', name);
  }

  /** Forgets a stopped service, retrying while zinit still reports it up; unknown is success. */
  async forget(name: string, waitMs = 10_000): Promise<void> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        await this.call('forget', name);
        return;
      } catch (err) {
        if (err instanceof ZinitError && isUnknown(err)) return;
        if (!(err instanceof ZinitError && /is up/i.test(String(err.details.body))) || Date.now() > deadline) throw err;
        await sleep(100);
      }
    }
  }
}

/** zinit's "no such service" answers: gen 1 `service name "x" unknown`, gen 2 "not found". */
function isUnknown(err: ZinitError): boolean {
  return /unknown|not found/i.test(String(err.details.body)) && !/unknown command/i.test(String(err.details.body));
}
