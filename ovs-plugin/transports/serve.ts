// The daemon: `ovs-plugin serve --socket PATH [--db URL]`. JSON-RPC 2.0, one request (or batch)
// per line, method = command name (`ovs.bridge-add`), params = the arguments object; socket mode
// 0600. The settings (../settings.ts) are read first: a bad one is logged, naming the variable
// and what it accepts, and the daemon exits 2. It binds and serves at once, Open vSwitch or not:
// OVSDB is connected in the background (ovsdb-link.ts) and each request gets the context
// contextFor gives its arguments, as exec does (no OVSDB for what needs none; EOVSDB_CONN after
// OVS_TIMEOUT for what needs it while it is not there). Every request is answered on its own (a failure never affects
// another); all OVSDB writes
// go through one Engine, which shares one transaction among commands that arrive together.
// Connections, executing commands and queued replies are capped from the file limit
// (limits.ts), untaken request text by one budget for all connections. nic gc runs at start and on a timer
// (nics/gc-timer.ts). SIGTERM/SIGINT: refuse new requests, finish what is in flight, remove our socket,
// exit 0.
import { createServer, type Server } from 'node:net';
import { sleep } from '../../lib/backoff.ts';
import { shuttingDown, toAppError, tooManyConnections, ValidationError } from '../../lib/errors.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { contextFor, runWith } from '../commands/context-for.ts';
import { nicGc } from '../commands/nic.ts';
import { lookup } from '../commands/registry.ts';
import { startNicGc } from '../nics/gc-timer.ts';
import { OvsdbLink } from './ovsdb-link.ts';
import { Connection, refuse, type ConnectionContext } from './connection.ts';
import type { Settings } from '../settings.ts';
import { Gate } from './gate.ts';
import { LineBudget } from './line-budget.ts';
import { serveLimits, type ServeLimits } from './limits.ts';
import { RateLimitedLog } from './log-limit.ts';
import { bindSocket, checkSocketPath, clearStaleSocket, removeOwnSocket, type BoundSocket } from './socket-path.ts';
import { guardSpawnErrors } from './spawn-guard.ts';
import { rtnlSocket } from '../../lib/rtnl-socket.ts';

/** Parsed `serve` flags. */
export interface ServeArgs {
  socket: string;
  db?: string;
}

/** Parses `--socket PATH [--db URL]`. */
export function parseServeArgs(argv: string[]): ServeArgs {
  const o: { socket?: string; db?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const m = /^--(socket|db)(?:=(.*))?$/.exec(k);
    if (!m) throw new ValidationError(k.slice(0, 64), 'unknown flag (serve --socket PATH [--db URL])');
    const v = m[2] ?? argv[++i];
    if (!v) throw new ValidationError(k, 'needs a value');
    o[m[1] as 'socket' | 'db'] = v;
  }
  if (!o.socket) throw new ValidationError('--socket', 'is required');
  return o as ServeArgs;
}

/** Exit code of a daemon whose settings are bad (the log line names the variable and its range). */
export const EXIT_BAD_SETTING = 2;

/**
 * Runs the daemon until SIGTERM/SIGINT with the process's settings (read by `settings()`); resolves with the exit code.
 */
export async function runServe(argv: string[], readSettings: () => Settings): Promise<number> {
  const log = createLogger();
  let settings: Settings;
  try {
    settings = readSettings();
  } catch (err) {
    const e = toAppError(err);
    log.error('ovs-plugin-bad-setting', {
      code: e.code,
      ...(e.details.field ? { field: e.details.field } : {}),
      message: e.message,
    });
    return EXIT_BAD_SETTING;
  }
  // Handlers first: a SIGTERM during start-up (gc, binding) ends it cleanly instead of killing
  // it with the default action.
  const signalled = untilSignal();
  const args = parseServeArgs(argv);
  checkSocketPath(args.socket);
  const unguard = guardSpawnErrors(log);
  const db = args.db ?? settings.db;
  log.info('ovs-plugin-starting', { socket: args.socket, db });
  const link = new OvsdbLink(db, settings, log); // connects in the background; serving never waits for it
  // From the signal on, what still waits for a first connection (the start-up gc, requests) is
  // ESHUTDOWN at once instead of after OVS_TIMEOUT.
  void signalled.then(() => link.stopWaiting());
  // As nic.gc would: it waits for OVSDB (up to OVS_TIMEOUT) only if records of OVS kinds exist.
  const gc = await startNicGc(() => contextFor(nicGc, {}, settings, link), log, settings.gcMs, settings.statePath);
  if (!link.started) link.onFirstUp(() => void gc.run()); // what it could not reach at start, once OVSDB is there
  const limits = serveLimits(undefined, settings.idleTimeoutMs);
  const daemon = await bind(args.socket, link, settings, limits, log);
  log.info('ovs-plugin-serving', {
    socket: args.socket,
    db,
    ovsdb: link.up ? 'connected' : 'connecting',
    datapath: settings.datapathType,
    ...limitFields(limits),
  });
  // In the background, what a first command would otherwise wait for: the in-process rtnetlink
  // socket (the native addon's load). Not the WireGuard backend's choice: asking for the family
  // loads the wireguard module, at every start of a node that may never use it.
  void rtnlSocket();
  await signalled; // at once if the signal came during start-up
  gc.stop();
  await shutDown(daemon, link, log);
  unguard();
  return 0;
}

/** A listening daemon: its socket, connections and counters. */
interface Daemon {
  server: Server;
  bound: BoundSocket;
  conns: Set<Connection>;
  gate: Gate;
  stopping: boolean;
  inflight: number;
  onIdle?: () => void;
}

// Bind the socket (a stale one of ours removed first) and serve connections up to the cap.
async function bind(
  path: string,
  link: OvsdbLink,
  settings: Settings,
  limits: ServeLimits,
  log: Logger,
): Promise<Daemon> {
  await clearStaleSocket(path);
  const d: Omit<Daemon, 'server' | 'bound'> = {
    conns: new Set<Connection>(),
    gate: new Gate(limits.maxInflight, limits.maxLentSlots),
    stopping: false,
    inflight: 0,
  };
  const warn = new RateLimitedLog(log);
  const ctx: ConnectionContext = {
    limits,
    gate: d.gate,
    buffered: new LineBudget(limits.maxBufferedChars),
    queued: { bytes: 0 },
    log,
    warn,
    run: (method, params) => {
      const { command } = lookup(method);
      return runWith(command, command.validate(params), settings, link);
    },
    stopping: () => d.stopping,
    countInflight: (delta) => {
      d.inflight += delta;
      if (d.inflight === 0) d.onIdle?.();
    },
  };
  let nextId = 1;
  const server = createServer((sock) => {
    if (d.stopping) return refuse(sock, shuttingDown());
    if (d.conns.size >= limits.maxConnections) {
      warn.warn('connections', 'ovs-connection-refused', { connections: d.conns.size, max: limits.maxConnections });
      return refuse(sock, tooManyConnections(limits.maxConnections));
    }
    d.conns.add(new Connection(sock, ctx, nextId++, (c) => d.conns.delete(c)));
  });
  const bound = await bindSocket(server, path, listenBacklog(limits));
  server.on('error', (e) => log.error('ovs-plugin-accept-failed', { message: e.message }));
  return Object.assign(d, { server, bound });
}

// Resolves on SIGTERM or SIGINT (the handlers are installed at once).
function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

// Refuse what comes, answer what is in flight, close connections, remove our socket (only if
// the path still holds it). The server is not closed: libuv would unlink whatever the path holds
// by then, another daemon's socket included; the process exits right after instead.
async function shutDown(d: Daemon, link: OvsdbLink, log: Logger): Promise<void> {
  d.stopping = true;
  log.info('ovs-plugin-stopping', { inflight: d.inflight, ovsdb: link.up ? 'connected' : 'not connected' });
  if (d.inflight > 0)
    await new Promise<void>((r) => {
      d.onIdle = r;
    });
  await Promise.all(
    [...d.conns].map((c) => {
      c.end();
      return sleep(50);
    }),
  );
  const removed = removeOwnSocket(d.bound);
  if (!removed) log.warn('ovs-plugin-socket-not-ours', { socket: d.bound.path });
  await link.close();
  log.info('ovs-plugin-stopped', link.stats);
}

// The listen backlog: room for every connection the daemon may hold to be queued while it is
// busy (Node's default, 511, made clients' connect fail with EAGAIN under load); the kernel
// caps it at net.core.somaxconn (4096 by default).
function listenBacklog(l: ServeLimits): number {
  return Math.max(511, Math.min(l.maxConnections, 4096));
}

// The limits as log fields (the serving line says what this daemon accepts).
function limitFields(l: ServeLimits): Record<string, number> {
  return { nofile: l.nofile, maxConnections: l.maxConnections, maxInflight: l.maxInflight, idleMs: l.idleMs };
}
