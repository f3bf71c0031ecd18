// The daemon: `ovs-plugin serve --socket PATH [--db URL]`. JSON-RPC 2.0, one object per line,
// method = command name (`ovs.bridge-add`), params = the arguments object. Socket mode 0600.
// Every request is answered on its own (a failure never affects another); all OVSDB writes go
// through one Engine, which shares one transaction among commands that arrive together.
// nic gc runs at start and on a timer (nics/gc-timer.ts). SIGTERM/SIGINT: stop accepting, finish what is in flight, remove the socket, exit 0.
import { chmodSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { badRequest, requestNotJson, shuttingDown, socketInUse, toAppError, ValidationError } from '../../lib/errors.ts';
import { createLogger } from '../../lib/log.ts';
import { connectOvsdb } from '../ovsdb/client.ts';
import { Engine } from '../commands/engine.ts';
import { execute } from '../commands/registry.ts';
import { startNicGc } from '../nics/gc-timer.ts';
import { checkDepth } from '../validate.ts';
import { readEnv } from './env.ts';
import { LineReader, rpcError } from './jsonrpc.ts';

/** Parses `--socket PATH [--db URL]`. */
export function parseServeArgs(argv: string[]): { socket: string; db?: string } {
  const o: { socket?: string; db?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const m = /^--(socket|db)(?:=(.*))?$/.exec(k);
    if (!m) throw new ValidationError(k, 'unknown flag (serve --socket PATH [--db URL])');
    const v = m[2] ?? argv[++i];
    if (!v) throw new ValidationError(k, 'needs a value');
    o[m[1] as 'socket' | 'db'] = v;
  }
  if (!o.socket) throw new ValidationError('--socket', 'is required');
  return o as { socket: string; db?: string };
}

// A stale socket file (no one answers) is removed; a live one means another daemon: refuse.
async function clearStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) throw socketInUse(path, 'not-a-socket');
  const live = await new Promise<boolean>((resolve) => {
    const s = createConnection(path, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
  if (live) throw socketInUse(path, 'live');
  unlinkSync(path);
}

/** Runs the daemon until SIGTERM/SIGINT; resolves with the exit code. */
export async function runServe(argv: string[]): Promise<number> {
  const log = createLogger();
  const args = parseServeArgs(argv);
  const { db: envDb, env, applyTimeoutMs } = readEnv();
  const db = args.db ?? envDb;
  const client = await connectOvsdb(db, { reconnect: true, logger: log });
  const engine = new Engine(client, env, { applyTimeoutMs });
  await engine.start();
  await clearStaleSocket(args.socket);
  const stopGc = await startNicGc({ client: engine.client, env: engine.env, commit: (p) => engine.commit(p) }, log);

  const sockets = new Set<Socket>();
  let inflight = 0;
  let stopping = false;
  let idle: (() => void) | undefined;

  const handle = async (sock: Socket, line: string): Promise<void> => {
    let id: unknown = null;
    let notification = false;
    let method: string | undefined;
    let reply: Record<string, unknown>;
    try {
      let req: Record<string, unknown>;
      try {
        req = JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw requestNotJson();
      }
      if (req === null || typeof req !== 'object' || Array.isArray(req)) throw badRequest('request must be a JSON object');
      id = req.id ?? null;
      notification = !('id' in req);
      if (req.jsonrpc !== '2.0' || typeof req.method !== 'string') throw badRequest('need jsonrpc "2.0" and a method');
      method = req.method.slice(0, 64);
      checkDepth('params', req.params);
      if (stopping) throw shuttingDown();
      const result = await execute(engine, req.method, req.params ?? {});
      reply = { jsonrpc: '2.0', id, result: result ?? null };
    } catch (err) {
      const e = toAppError(err);
      reply = { jsonrpc: '2.0', id, error: rpcError(e) };
      log.warn('ovs-command-failed', { method, code: e.code, message: e.message });
    }
    // JSON-RPC 2.0 section 4.1: a notification (no id) is never answered, not even on error.
    if (!sock.destroyed && !notification) sock.write(JSON.stringify(reply) + '\n');
  };

  const server = createServer((sock) => {
    sockets.add(sock);
    sock.setEncoding('utf8');
    const reader = new LineReader((line) => {
      inflight++;
      void handle(sock, line).finally(() => { if (--inflight === 0) idle?.(); });
    }, () => {
      sock.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: rpcError(badRequest('request line too long')) }) + '\n');
    });
    sock.on('data', (d: string) => reader.push(d));
    sock.on('error', () => undefined);
    sock.on('close', () => sockets.delete(sock));
  });
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(args.socket, resolve); });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(args.socket, 0o600);
  log.info('ovs-plugin-serving', { socket: args.socket, db, datapath: env.datapathType });

  await new Promise<void>((resolve) => {
    const stop = () => { process.off('SIGTERM', stop); process.off('SIGINT', stop); resolve(); };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  stopping = true;
  stopGc();
  log.info('ovs-plugin-stopping', { inflight });
  const closed = new Promise<void>((r) => server.close(() => r()));
  if (inflight > 0) await new Promise<void>((r) => { idle = r; });
  for (const s of sockets) s.end(() => s.destroy());
  await closed;
  try { unlinkSync(args.socket); } catch { /* already gone */ }
  await client.close();
  log.info('ovs-plugin-stopped', engine.stats);
  return 0;
}
