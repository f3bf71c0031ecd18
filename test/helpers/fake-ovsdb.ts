// A tiny in-process OVSDB server on a unix socket for protocol edge cases the real server never
// produces on demand: split and merged frames, server echo, error results, a trailing commit
// error, a connection dropped mid-request, slow replies. Closed in t.after.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { JsonStreamParser } from '../../ovs-plugin/ovsdb/framing.ts';

/** A JSON-RPC 1.0 message as received (request, notification or response). */
export interface RpcMessage {
  method?: string;
  params?: unknown[];
  id?: unknown;
  result?: unknown;
  error?: unknown;
}

/** One client connection as the fake sees it. */
export class FakeConn {
  readonly received: RpcMessage[] = [];
  private readonly parser = new JsonStreamParser();
  constructor(
    readonly sock: Socket,
    fake: FakeOvsdb,
  ) {
    sock.on('data', (chunk) => {
      for (const m of this.parser.push(chunk) as RpcMessage[]) {
        this.received.push(m);
        fake.received.push(m);
        if (m.method !== undefined) fake.handler(m, this);
        else fake.onResponse?.(m, this);
      }
    });
    sock.on('error', () => {});
  }
  /** Writes raw bytes as they are (for split/merged frame tests). */
  write(raw: string): void {
    this.sock.write(raw);
  }
  reply(id: unknown, result: unknown, error: unknown = null): void {
    this.write(JSON.stringify({ id, result, error }));
  }
  notify(method: string, params: unknown[]): void {
    this.write(JSON.stringify({ id: null, method, params }));
  }
  /** Sends a request from the server side (e.g. echo). */
  request(method: string, params: unknown[], id: unknown): void {
    this.write(JSON.stringify({ id, method, params }));
  }
  destroy(): void {
    this.sock.destroy();
  }
}

/** Answers one request; tests replace FakeOvsdb.handler to script replies. */
export type Handler = (msg: RpcMessage, conn: FakeConn) => void;

/** What the fake answers when the test does not override `handler`. */
export const defaultHandler: Handler = (m, c) => {
  const params = m.params ?? [];
  switch (m.method) {
    case 'echo':
      return c.reply(m.id, params);
    case 'list_dbs':
      return c.reply(m.id, ['Open_vSwitch']);
    case 'monitor':
      return c.reply(m.id, {});
    case 'transact':
      return c.reply(
        m.id,
        params.slice(1).map(() => ({})),
      );
    default:
      return c.reply(m.id, null, { error: 'unknown method' });
  }
};

/** The fake server: every message received, every connection, a replaceable handler. */
export class FakeOvsdb {
  readonly received: RpcMessage[] = [];
  readonly conns: FakeConn[] = [];
  handler: Handler = defaultHandler;
  onResponse?: (m: RpcMessage, c: FakeConn) => void;
  /** TCP port when started with { tcp: true } (listening on 127.0.0.1). */
  port = 0;
  constructor(
    readonly path: string,
    private server: Server,
  ) {}
  get url(): string {
    return this.port ? `tcp:127.0.0.1:${this.port}` : `unix:${this.path}`;
  }
  /** The newest connection. */
  get last(): FakeConn | undefined {
    return this.conns[this.conns.length - 1];
  }
  /** Resolves when `n` connections have been accepted in total. */
  async waitConns(n: number, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (this.conns.length < n) {
      if (Date.now() > end) throw new Error(`fake ovsdb: ${n} connections not seen within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  /** Drops every open connection (the server keeps listening). */
  dropAll(): void {
    for (const c of this.conns) c.destroy();
  }
  async close(): Promise<void> {
    this.dropAll();
    if (this.server.listening) await new Promise<void>((r) => this.server.close(() => r()));
  }
  /** Stops listening (connections dropped, socket gone) for `downMs`, then listens again on the same path. */
  async restart(downMs: number): Promise<void> {
    await this.close();
    await rm(this.path, { force: true });
    await new Promise((r) => setTimeout(r, downMs));
    this.server = listenServer(this);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.path, resolve);
    });
  }
}

function listenServer(fake: FakeOvsdb): Server {
  const server = createServer();
  server.on('connection', (s) => fake.conns.push(new FakeConn(s, fake)));
  return server;
}

/** Starts the fake on a fresh unix socket (or 127.0.0.1:<random port>); closed and removed after the test. */
export async function startFakeOvsdb(t: Pick<TestContext, 'after'>, opts: { tcp?: boolean } = {}): Promise<FakeOvsdb> {
  const dir = await mkdtemp(join(tmpdir(), 'fovs-'));
  const path = join(dir, 'db.sock');
  const fake = new FakeOvsdb(path, createServer());
  const server = listenServer(fake);
  (fake as unknown as { server: Server }).server = server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (opts.tcp) server.listen(0, '127.0.0.1', resolve);
    else server.listen(path, resolve);
  });
  if (opts.tcp) fake.port = (server.address() as AddressInfo).port;
  t.after(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });
  return fake;
}
