// The one registry of error codes of both programs (as undici's lib/core/errors.js): each code
// is defined once below with its family and whether retrying can help; each family is one
// class; throw sites call the named class or factory for their case and never write a code
// string themselves. Context lives in fields and `details`, the original error in `cause`.
// docs/errors.md is the table of these codes for clients; test/lib/errors.test.ts keeps the
// two in step.

/** Which part of the system an error comes from; one class per family below. */
export type ErrorFamily =
  | 'general'
  | 'validation'
  | 'command'
  | 'nic'
  | 'transport'
  | 'exec'
  | 'kernel'
  | 'ovsdb'
  | 'zinit'
  | 'agent'
  | 'mesh'
  | 'fleet'
  | 'wireguard';

interface CodeSpec {
  readonly family: ErrorFamily;
  readonly retryable: boolean;
}

// `retryable`: the same call, unchanged, can succeed later without anyone changing the input
// or the configuration (a lost connection, a race, a NIC that has not appeared yet). The agent
// retries exactly these and stops on the others; clients should do the same.
const SPECS = {
  // general
  EINTERNAL: { family: 'general', retryable: true },
  EABORTED: { family: 'general', retryable: false },
  // validation
  EINVALID: { family: 'validation', retryable: false },
  // command (ovs-plugin `ovs.*`)
  EUNKNOWN: { family: 'command', retryable: false },
  EUSAGE: { family: 'command', retryable: false },
  ENOTFOUND: { family: 'command', retryable: false },
  ECONFLICT: { family: 'command', retryable: false },
  EEXIST: { family: 'command', retryable: false },
  ENOTOWNED: { family: 'command', retryable: false },
  EBUSY: { family: 'command', retryable: false },
  ECONTENDED: { family: 'command', retryable: true },
  // nic (ovs-plugin `nic.*`)
  EUNSUPPORTED: { family: 'nic', retryable: false },
  EEXHAUSTED: { family: 'nic', retryable: true },
  ELOCKED: { family: 'nic', retryable: true },
  ESTATE: { family: 'nic', retryable: false },
  EZTSTART: { family: 'nic', retryable: true },
  EZTJOIN: { family: 'nic', retryable: true },
  // transport (the daemon's socket and its typed client)
  EPARSE: { family: 'transport', retryable: false },
  EREQUEST: { family: 'transport', retryable: false },
  ESHUTDOWN: { family: 'transport', retryable: true },
  ESOCKETINUSE: { family: 'transport', retryable: false },
  EUNSAFE: { family: 'transport', retryable: false },
  EBIND: { family: 'transport', retryable: false },
  ETOOMANY: { family: 'transport', retryable: true },
  EIDLE: { family: 'transport', retryable: true },
  EOVERLOAD: { family: 'transport', retryable: true },
  ECONN: { family: 'transport', retryable: true },
  ECLOSED: { family: 'transport', retryable: false },
  EPROTO: { family: 'transport', retryable: false },
  // exec (child processes)
  EEXEC: { family: 'exec', retryable: true },
  EEXEC_TIMEOUT: { family: 'exec', retryable: true },
  EEXEC_SPAWN: { family: 'exec', retryable: true },
  // kernel (links and network namespaces)
  ELINKNOTFOUND: { family: 'kernel', retryable: true },
  ENETNSGONE: { family: 'kernel', retryable: false },
  ERTNL: { family: 'kernel', retryable: false },
  // ovsdb (RFC 7047 client)
  EOVSDB_TXN: { family: 'ovsdb', retryable: false },
  EOVSDB_CONN: { family: 'ovsdb', retryable: true },
  EOVSDB_TIMEOUT: { family: 'ovsdb', retryable: true },
  EOVSDB_RPC: { family: 'ovsdb', retryable: false },
  EOVSDB_PROTO: { family: 'ovsdb', retryable: false },
  EOVSDB_UNINIT: { family: 'ovsdb', retryable: true },
  // zinit (control socket client)
  EZINIT: { family: 'zinit', retryable: true },
  EZINITSOCKET: { family: 'zinit', retryable: true },
  EZINITTIMEOUT: { family: 'zinit', retryable: true },
  EZINITPROTO: { family: 'zinit', retryable: true },
  EDHCPZOS: { family: 'zinit', retryable: true },
  // agent (bridge zos and its configuration)
  ENONIC: { family: 'agent', retryable: true },
  ENICINUSE: { family: 'agent', retryable: true },
  EBRIDGE: { family: 'agent', retryable: true },
  EZOSNOTBRIDGE: { family: 'agent', retryable: false },
  EVLANFILTER: { family: 'agent', retryable: false },
  EVLAN_UNSUPPORTED: { family: 'agent', retryable: false },
  EDADFAILED: { family: 'agent', retryable: true },
  EDADTIMEOUT: { family: 'agent', retryable: true },
  ERA6ROUTE: { family: 'agent', retryable: true },
  EDHCPCLIENT: { family: 'agent', retryable: true },
  EIPMISSING: { family: 'agent', retryable: true },
  EAPPLY: { family: 'agent', retryable: true },
  // mesh (the client-side mesh planner, `ovs-plugin mesh ...`)
  EPLAN: { family: 'mesh', retryable: false },
  ENOSUBNET: { family: 'mesh', retryable: false },

  // fleet (OVN chassis mode, `fleet.*` and the `fleet` nic kind)
  ENOTJOINED: { family: 'fleet', retryable: false },
  EPORTDOWN: { family: 'fleet', retryable: true },

  // wireguard (lib/wireguard: the UAPI socket of wireguard-go, kernel WireGuard over generic netlink)
  EWG_NODEVICE: { family: 'wireguard', retryable: true },
  EWG_UNREACHABLE: { family: 'wireguard', retryable: true },
  EWG_REFUSED: { family: 'wireguard', retryable: false },
  EWG_PROTO: { family: 'wireguard', retryable: false },
  EWG_START: { family: 'wireguard', retryable: true },
} as const satisfies Record<string, CodeSpec>;

/** Every code either program raises. */
export type ErrorCode = keyof typeof SPECS;

/** The codes of one family (what that family's class accepts). */
export type CodeOf<F extends ErrorFamily> = {
  [K in ErrorCode]: (typeof SPECS)[K]['family'] extends F ? K : never;
}[ErrorCode];

/** The codes by name, for comparisons (`e.code === Code.EOVSDB_CONN`) without a string literal. */
export const Code = Object.fromEntries(Object.keys(SPECS).map((k) => [k, k])) as { readonly [K in ErrorCode]: K };

/** Family and retryability of `code`, as the registry defines them. */
export const codeSpec = (code: ErrorCode): CodeSpec => SPECS[code];

/** True when `s` is one of the registry's codes (for codes read back from the wire). */
export const isErrorCode = (s: unknown): s is ErrorCode => typeof s === 'string' && Object.hasOwn(SPECS, s);

type Details = Record<string, unknown>;

/** Base of every error we raise on purpose: a stable `code`, context in `details`. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  protected constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
  /** The family the registry gives this code. */
  get family(): ErrorFamily {
    return SPECS[this.code].family;
  }
  /** Whether the same call can succeed later unchanged (see the registry above). */
  get retryable(): boolean {
    return SPECS[this.code].retryable;
  }
  /** JSON form used on the wire and in the status file: `{code, message, ...details}`. */
  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...this.details };
  }
}

// ---- general -------------------------------------------------------------------------------

/** Something we did not expect (a bug, or a system error no family covers): EINTERNAL. */
export class InternalError extends AppError {
  constructor(message: string, cause?: unknown) {
    super('EINTERNAL', message, {}, cause);
  }
}

/** The caller stopped the work (SIGTERM/SIGINT, an aborted signal): EABORTED. */
export class AbortedError extends AppError {
  constructor(message: string) {
    super('EABORTED', message);
  }
}

/** Wraps anything thrown into an AppError, keeping AppErrors as they are (EINTERNAL otherwise). */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new InternalError(err instanceof Error ? err.message : String(err), err);
}

/** `err` with what holds afterwards added to its message; code, family and details kept. */
export function withNote(err: AppError, note: string, details: Details = {}): AppError {
  return new NotedError(err, note, details);
}
class NotedError extends AppError {
  constructor(err: AppError, note: string, details: Details) {
    super(err.code, `${err.message}; ${note}`, { ...err.details, ...details }, err);
  }
}

/** The `code` of a Node system error (ENOENT, EACCES, ...), if it has one. */
export const errnoOf = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

/** A system error saying the process ran out of descriptors, processes or memory (EMFILE, ENFILE, EAGAIN, ENOMEM). */
export const isOutOfResources = (err: unknown): boolean =>
  ['EMFILE', 'ENFILE', 'EAGAIN', 'ENOMEM'].includes(errnoOf(err) ?? '');

/** A file-system error saying the path does not exist (ENOENT). */
export const isMissingPath = (err: unknown): boolean => errnoOf(err) === 'ENOENT';

/** A file-system error saying the path exists already (EEXIST). */
export const isFileExists = (err: unknown): boolean => errnoOf(err) === 'EEXIST';

/**
 * A connect() error saying nothing serves that unix socket: no file (ENOENT), or a file nobody listens on
 * (ECONNREFUSED).
 */
export const isNoListener = (err: unknown): boolean => ['ENOENT', 'ECONNREFUSED'].includes(errnoOf(err) ?? '');

/** True for EADDRINUSE: the socket address is bound by another socket (a lock held: nics/lock.ts). */
export const isAddressInUse = (err: unknown): boolean => errnoOf(err) === 'EADDRINUSE';

/** Kernel errno names an rtnetlink answer carries that callers tell apart (lib/rtnl.ts). */
export const KERNEL_ERRNO = { noDevice: 'ENODEV', noEntry: 'ENOENT', exists: 'EEXIST' } as const;

/** A system error saying the process is gone (ESRCH: `process.kill` of a pid that exited). */
export const isProcessGone = (err: unknown): boolean => errnoOf(err) === 'ESRCH';

/** A file-system error saying a path component is a symbolic link where none may be (ELOOP, O_NOFOLLOW). */
export const isSymlinkLoop = (err: unknown): boolean => errnoOf(err) === 'ELOOP';

/** A system error saying this process may not read or use the path (EACCES, EPERM). */
export const isAccessDenied = (err: unknown): boolean => ['EACCES', 'EPERM'].includes(errnoOf(err) ?? '');

/** A system error saying the operation is not permitted on that object (EPERM: link(2) of a directory). */
export const isNotPermitted = (err: unknown): boolean => errnoOf(err) === 'EPERM';

/** A file-system error saying a path component is not a directory (ENOTDIR). */
export const isNotDirectory = (err: unknown): boolean => errnoOf(err) === 'ENOTDIR';

// ---- validation ----------------------------------------------------------------------------

/** Bad input from outside (JSON argument, kernel command line, CLI flag, file): EINVALID, naming the field. */
export class ValidationError extends AppError {
  readonly field: string;
  constructor(field: string, message: string, details: Record<string, unknown> = {}) {
    super('EINVALID', `${field}: ${message}`, { field, ...details });
    this.field = field;
  }
}

// ---- command (ovs-plugin `ovs.*`) ----------------------------------------------------------

/** A command refused what it was asked; the state is unchanged. */
export class CommandError extends AppError {
  constructor(code: CodeOf<'command'>, message: string, details: Details = {}, cause?: unknown) {
    super(code, message, details, cause);
  }
}

/** EUNKNOWN: no command of that name. */
export const unknownCommand = (name: string): CommandError =>
  new CommandError('EUNKNOWN', `unknown command: ${name.slice(0, 64)}`, { command: name.slice(0, 64) });
/** EUSAGE: the exec transport was called without a command, or with arguments after the JSON. */
export const usage = (message: string): CommandError => new CommandError('EUSAGE', message);
/** ENOTFOUND: something the command needs does not exist (master bridge, record, link). */
export const notFound = (message: string, details: Details = {}): CommandError =>
  new CommandError('ENOTFOUND', message, details);
/** ECONFLICT: the request contradicts what exists (tag on another master, name bound to another tag). */
export const conflict = (message: string, details: Details = {}): CommandError =>
  new CommandError('ECONFLICT', message, details);
/** EEXIST: the row to create exists and `may_exist` was not given. */
export const exists = (message: string, details: Details = {}): CommandError =>
  new CommandError('EEXIST', message, details);
/** ENOTOWNED: a delete would remove a row this plugin did not create (no owner tag). */
export const notOwned = (message: string, details: Details = {}): CommandError =>
  new CommandError('ENOTOWNED', message, details);
/** EBUSY: a delete would cut ports that are still in use. */
export const busy = (message: string, details: Details = {}): CommandError =>
  new CommandError('EBUSY', message, details);
/** ECONTENDED: other writers kept changing what the command reads, `attempts` times. */
export const contended = (attempts: number, cause: unknown): CommandError =>
  new CommandError(
    'ECONTENDED',
    `gave up after ${attempts} attempts: other writers kept changing what this command reads`,
    { attempts },
    cause,
  );

// ---- nic (ovs-plugin `nic.*`; their EEXIST / EBUSY / ENOTFOUND are the command family's) ----

/** A `nic.*` failure of its own kind: what this build cannot do, the NAT pool, the state file and its lock. */
export class NicError extends AppError {
  constructor(code: CodeOf<'nic'>, message: string, details: Details = {}, cause?: unknown) {
    super(code, message, details, cause);
  }
}
/**
 * EUNSUPPORTED: a kind, target or option this node does not provide (`zerotier` without zerotier-one); names the
 * field.
 */
export const unsupported = (field: string, message: string): NicError =>
  new NicError('EUNSUPPORTED', `${field}: ${message}`, { field });
/** EZTSTART: a zerotier nic's zerotier-one did not start (it exited, or its local API never answered). */
export const ztStart = (message: string, details: Details = {}, cause?: unknown): NicError =>
  new NicError('EZTSTART', message, details, cause);
/**
 * EZTJOIN: a zerotier nic's network is not `OK` within the wait: `status` names the state it answered (ACCESS_DENIED,
 * NOT_FOUND, PORT_ERROR, ... or REQUESTING_CONFIGURATION when nothing came in time).
 */
export const ztJoin = (network: string, status: string, node: string, waitMs: number): NicError =>
  new NicError('EZTJOIN', `nic.id: zerotier network ${network} is ${status} for node ${node} (waited ${waitMs} ms)`, {
    field: 'nic.id',
    network,
    status,
    node_id: node,
  });
/** EEXHAUSTED: the NAT pool of `default` nics has no free address. */
export const poolExhausted = (pool: string): NicError =>
  new NicError('EEXHAUSTED', `no free address left in the NAT pool ${pool}`, { pool });
/** EEXHAUSTED: a network resource's /24 has no free workload address (`network` nics: .2 .. .254). */
export const subnetExhausted = (netid: string, subnet: string): NicError =>
  new NicError('EEXHAUSTED', `nic.id: no free address left in ${subnet} of network resource ${netid}`, {
    field: 'nic.id',
    netid,
    subnet,
  });
/** ELOCKED: the state file's lock was not granted in time (another process holds it). */
export const stateLocked = (path: string, ms: number): NicError =>
  new NicError('ELOCKED', `${path}: lock not granted within ${ms} ms`, { path, ms });
/** ESTATE: the state file is not ours (not JSON, another version); nothing is changed. */
export const badState = (message: string, details: Details = {}): NicError => new NicError('ESTATE', message, details);

// ---- fleet (OVN chassis mode: `fleet.*` and the `fleet` nic kind) -------------------------

/** A fleet-mode failure of its own kind: the node is not an OVN chassis, a logical port did not come up. */
export class FleetError extends AppError {
  constructor(code: CodeOf<'fleet'>, message: string, details: Details = {}, cause?: unknown) {
    super(code, message, details, cause);
  }
}
/** ENOTJOINED: a fleet command or `fleet` nic on a node that has not run fleet.join (naming the field, if one). */
export const notJoined = (message: string, field?: string): FleetError =>
  new FleetError('ENOTJOINED', field ? `${field}: ${message}` : message, field ? { field } : {});
/** EPORTDOWN: ovn-controller did not mark the logical port's interface `ovn-installed` in time (attach undone). */
export const portDown = (port: string, ms: number, details: Details = {}): FleetError =>
  new FleetError(
    'EPORTDOWN',
    `logical port ${port} was not installed by ovn-controller within ${ms} ms (is ovn-controller running?)`,
    { port, ms, ...details },
  );

// ---- transport (the daemon's socket and its typed client) ----------------------------------

/** The JSON-RPC envelope or the connection to the daemon failed, not the command. */
export class TransportError extends AppError {
  constructor(code: CodeOf<'transport'>, message: string, details: Details = {}, cause?: unknown) {
    super(code, message, details, cause);
  }
}

/** EPARSE: a request line is not JSON. */
export const requestNotJson = (): TransportError => new TransportError('EPARSE', 'request is not valid JSON');
/** EREQUEST: a request is JSON but not a JSON-RPC 2.0 request we take (shape, size). */
export const badRequest = (message: string): TransportError => new TransportError('EREQUEST', message);
/** ESHUTDOWN: the daemon is stopping and takes no new command. */
export const shuttingDown = (): TransportError => new TransportError('ESHUTDOWN', 'daemon is shutting down');
/** ESOCKETINUSE: the daemon's socket path is taken (not a socket, or another daemon serves it). */
export const socketInUse = (path: string, why: 'not-a-socket' | 'live'): TransportError =>
  new TransportError(
    'ESOCKETINUSE',
    why === 'live' ? `another daemon is serving ${path}` : `${path} exists and is not a socket`,
    { path },
  );
/**
 * EUNSAFE: the `--socket` place is not safe: another user could replace the socket, or the entry there is another
 * user's.
 */
export const unsafeSocket = (message: string, details: Details = {}): TransportError =>
  new TransportError('EUNSAFE', `--socket: ${message}`, { field: '--socket', ...details });
/** EBIND: listening on the `--socket` path failed. */
export const bindFailed = (path: string, cause: Error): TransportError =>
  new TransportError('EBIND', `--socket ${path}: ${cause.message}`, { field: '--socket', path }, cause);
/** ETOOMANY: the daemon serves as many connections as its file limit allows; this one gets the line and is closed. */
export const tooManyConnections = (max: number): TransportError =>
  new TransportError('ETOOMANY', `connection limit reached (${max}); try again later`, { max });
/** EIDLE: the connection sent nothing for `ms` with nothing in flight; it is closed. */
export const idleClosed = (ms: number): TransportError =>
  new TransportError('EIDLE', `closing connection idle for ${ms} ms`, { ms });
/**
 * EOVERLOAD: the connections together hold `max` characters of untaken request text; the one that would pass it gets
 * the line and is closed.
 */
export const overloaded = (max: number): TransportError =>
  new TransportError(
    'EOVERLOAD',
    `the daemon holds ${max} characters of unfinished requests from all clients; send whole lines, try again later`,
    { max },
  );
/** ECONN: the connection to the daemon failed or was lost; requests on it fail with this. */
export const connectionLost = (message: string, details: Details = {}, cause?: unknown): TransportError =>
  new TransportError('ECONN', message, details, cause);
/** ECLOSED: the client was closed by its owner; requests pending or made later fail with this. */
export const clientClosed = (): TransportError => new TransportError('ECLOSED', 'client closed');
/** EPROTO: the daemon's reply cannot be read (not JSON, too long, unknown error code). */
export const badReply = (message: string): TransportError => new TransportError('EPROTO', message);

/** The daemon's error `{code, message, field?}` rethrown on the client side with its code. */
export class RemoteError extends AppError {
  constructor(code: ErrorCode, message: string, details: Details = {}) {
    super(code, message, details);
  }
}
/** Rebuilds a daemon error from its wire form; a code this client does not know is EPROTO. */
export function fromWire(data: { code?: unknown; message?: unknown; field?: unknown }, fallback: string): AppError {
  const message = typeof data.message === 'string' ? data.message : fallback;
  if (!isErrorCode(data.code))
    return badReply(`daemon error with unknown code ${JSON.stringify(data.code)}: ${message}`);
  return new RemoteError(data.code, message, data.field !== undefined ? { field: data.field } : {});
}

// ---- exec (child processes) and kernel (links, namespaces) ------------------------------

/** How a child process ended, as ExecError carries it. */
export interface ExecFailure {
  command: string;
  /** Exit status; undefined when the child was killed or never ran. */
  exitCode?: number;
  /** The signal that killed it (SIGKILL after a timeout or an abort). */
  signal?: string;
  /** Killed because it ran past `timeoutMs`. */
  timedOut?: boolean;
  timeoutMs?: number;
  /** Milliseconds from spawn to the end. */
  durationMs?: number;
  stderr: string;
  /** Why it could not start (ENOENT, EACCES): set only then. */
  spawnError?: string;
}

/** Words for how a child ended: "exited 3", "killed by SIGKILL", "timed out after 100 ms", "could not run". */
function howItEnded(f: ExecFailure): string {
  if (f.timedOut) return `timed out after ${f.timeoutMs ?? f.durationMs} ms`;
  if (f.signal) return `killed by ${f.signal}`;
  if (f.exitCode !== undefined) return `exited ${f.exitCode}`;
  return `could not run${f.spawnError ? ` (${f.spawnError})` : ''}`;
}

/**
 * A child process failed: names the command, how it ended, its stderr. EEXEC (exit status or
 * signal), EEXEC_TIMEOUT (killed at its timeout), EEXEC_SPAWN (never started). Subclasses (the
 * kernel family below) pass their own code.
 */
export class ExecError extends AppError {
  readonly command: string;
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly timedOut: boolean;
  readonly durationMs: number | undefined;
  readonly stderr: string;
  constructor(f: ExecFailure, cause?: unknown, code?: CodeOf<'exec' | 'kernel'>) {
    const why = f.stderr.trim().split('\n').slice(-3).join(' | ');
    super(
      code ?? (f.timedOut ? 'EEXEC_TIMEOUT' : f.spawnError !== undefined ? 'EEXEC_SPAWN' : 'EEXEC'),
      `${f.command}: ${howItEnded(f)}${why ? `: ${why}` : ''}`,
      {
        command: f.command,
        exitCode: f.exitCode,
        signal: f.signal,
        timedOut: !!f.timedOut,
        durationMs: f.durationMs,
        stderr: f.stderr,
      },
      cause,
    );
    this.command = f.command;
    this.exitCode = f.exitCode;
    this.signal = f.signal;
    this.timedOut = !!f.timedOut;
    this.durationMs = f.durationMs;
    this.stderr = f.stderr;
  }
}

/** `ip` (or `bridge`) failed for a reason not told apart below: EEXEC, as any failed command. */
export class IpError extends ExecError {}

/** `ip` ran out of time and was killed (its stderr so far is kept): EEXEC_TIMEOUT. */
export class IpTimeoutError extends IpError {
  constructor(f: ExecFailure, cause?: unknown) {
    super({ ...f, timedOut: true }, cause, 'EEXEC_TIMEOUT');
  }
}

/** ELINKNOTFOUND: the link the call names does not exist in that namespace (a delete treats it as done). */
export class LinkNotFoundError extends IpError {
  /** The link the kernel named, when its message names one. */
  readonly link: string | undefined;
  constructor(f: ExecFailure, link?: string, cause?: unknown) {
    super(f, cause, 'ELINKNOTFOUND');
    this.link = link;
    if (link !== undefined) this.details.link = link;
  }
}

/** ENETNSGONE: the network namespace the call names is gone (a name, a path, or a move's target). */
export class NetnsGoneError extends IpError {
  readonly netns: string;
  constructor(f: ExecFailure, netns: string, cause?: unknown) {
    super(f, cause, 'ENETNSGONE');
    this.netns = netns;
    this.details.netns = netns;
  }
}

/** The errnos of a refused rtnetlink request that the same request, unchanged, can get past later. */
const RTNL_RETRYABLE: ReadonlySet<string> = new Set(['EAGAIN', 'EBUSY', 'EINTR', 'ENOBUFS', 'ENOMEM', 'ETIMEDOUT']);

/**
 * ERTNL: the kernel refused an in-process rtnetlink request (lib/rtnl-socket.ts), no child
 * involved: `errno` is its answer (EINVAL, EEXIST, EOPNOTSUPP, EBUSY...), `request` what was
 * asked, `link` the link it names. Retryable only for an errno a retry can get past
 * (EBUSY, EAGAIN, ENOBUFS, EINTR, ENOMEM, ETIMEDOUT); ENODEV is LinkNotFoundError instead.
 */
export class RtnlError extends AppError {
  readonly errno: string;
  readonly request: string;
  readonly link: string | undefined;
  constructor(request: string, errno: string, link?: string, cause?: unknown) {
    super(
      'ERTNL',
      `rtnetlink ${request}: ${errno}`,
      { request, errno, ...(link !== undefined ? { link } : {}) },
      cause,
    );
    this.errno = errno;
    this.request = request;
    this.link = link;
  }
  /** Per errno: only a busy or short-of-resources kernel can answer otherwise later. */
  override get retryable(): boolean {
    return RTNL_RETRYABLE.has(this.errno);
  }
}

/**
 * The kernel said no to a link, address or route change: in-process (RtnlError, any errno) or
 * through `ip` (an IpError that exited non-zero: EEXEC). Not a timeout, a link or namespace gone.
 */
export const isKernelRefusal = (err: unknown): boolean =>
  err instanceof RtnlError || (err instanceof IpError && err.code === 'EEXEC');

// ---- ovsdb (RFC 7047 client) ---------------------------------------------------------------

/** Every failure of the OVSDB client; context (url, method, RFC error) in details. */
export class OvsdbError extends AppError {
  constructor(code: CodeOf<'ovsdb'>, message: string, details: Details = {}, cause?: unknown) {
    super(code, message, details, cause);
  }
}

/** EOVSDB_CONN: the connection to ovsdb-server was refused, lost, or not re-established in time. */
export const ovsdbConnError = (message: string, details: Details = {}, cause?: unknown): OvsdbError =>
  new OvsdbError('EOVSDB_CONN', message, details, cause);
/** EOVSDB_TIMEOUT: a request (or a wait on ovs-vswitchd) got no answer within `ms`. */
export const ovsdbTimeout = (what: string, ms: number, details: Details = {}): OvsdbError =>
  new OvsdbError('EOVSDB_TIMEOUT', `${what}: no answer within ${ms} ms`, { what, ms, ...details });
/** EOVSDB_RPC: the server answered a request (not a transaction operation) with an error. */
export const ovsdbRpcError = (method: string, error: string, details: string | undefined): OvsdbError =>
  new OvsdbError('EOVSDB_RPC', `OVSDB ${method}: ${error}${details ? `: ${details}` : ''}`, {
    method,
    error,
    ovsdbDetails: details,
  });
/** EOVSDB_PROTO: the server's stream or reply does not follow RFC 7047. */
export const ovsdbProtoError = (message: string, details: Details = {}, cause?: unknown): OvsdbError =>
  new OvsdbError('EOVSDB_PROTO', message, details, cause);
/** EOVSDB_UNINIT: the Open_vSwitch table has no row yet (the database is not initialised). */
export const ovsdbUninitialised = (message: string, details: Details = {}): OvsdbError =>
  new OvsdbError('EOVSDB_UNINIT', message, details);

/** The operation a transaction error points at (RFC 7047 5.2); undefined for the commit. */
export interface FailedOperation {
  readonly op: string;
  readonly table?: string;
}

/**
 * EOVSDB_TXN, RFC 7047 4.1.3: an operation's result is `{error, details}`; when every op
 * succeeded but the commit failed, one extra error result follows the last op (index ===
 * ops.length, `op` undefined). One subclass per error name; retryable per name below.
 */
export class OvsdbTxnError extends OvsdbError {
  readonly opIndex: number;
  readonly error: string;
  readonly opDetails: string | undefined;
  readonly op: FailedOperation | undefined;
  constructor(opIndex: number, op: FailedOperation | undefined, error: string, details: string | undefined) {
    const what = op ? `operation ${opIndex} (${op.op}${op.table !== undefined ? ` ${op.table}` : ''})` : 'commit';
    super('EOVSDB_TXN', `OVSDB ${what} failed: ${error}${details ? `: ${details}` : ''}`, {
      opIndex,
      error,
      ovsdbDetails: details,
      op: op?.op,
      table: op?.table,
    });
    this.opIndex = opIndex;
    this.error = error;
    this.opDetails = details;
    this.op = op;
  }
  /** Per RFC error name: a failed `wait`, a row removed meanwhile, exhausted resources can pass. */
  override get retryable(): boolean {
    return TXN_RETRYABLE.has(this.error);
  }
}

// RFC 7047 4.1.3 and 5.2 name these; ovsdb-server adds "syntax error", "not allowed",
// "permission error" (RBAC) and "internal error" (ovsdb/execution.c, ovsdb-error.c).
/** "referential integrity violation": the commit would leave a dangling reference (4.1.3). */
export class OvsdbReferentialIntegrityError extends OvsdbTxnError {}
/** "constraint violation": a value breaks the schema (enum, range, unique index) (4.1.3, 5.2.1). */
export class OvsdbConstraintViolationError extends OvsdbTxnError {}
/** "resources exhausted": the server ran out of memory or another resource (4.1.3). */
export class OvsdbResourcesExhaustedError extends OvsdbTxnError {}
/** "I/O error": the server could not write the commit to its database file (4.1.3). */
export class OvsdbIoError extends OvsdbTxnError {}
/** "duplicate uuid-name": two inserts of one transaction share a uuid-name (5.2.1). */
export class OvsdbDuplicateUuidNameError extends OvsdbTxnError {}
/** "domain error": a mutation's result is not a valid value (division by zero) (5.2.4). */
export class OvsdbDomainError extends OvsdbTxnError {}
/** "range error": a mutation's result is out of the column's range (5.2.4). */
export class OvsdbRangeError extends OvsdbTxnError {}
/** "timed out": a `wait` found the rows not as pinned (we send timeout 0) (5.2.6). */
export class OvsdbTimedOutError extends OvsdbTxnError {}
/** "not supported": an operation the server does not do (5.2.6, 5.2.7). */
export class OvsdbNotSupportedError extends OvsdbTxnError {}
/** "aborted": an `abort` operation ended the transaction (5.2.8). */
export class OvsdbAbortedError extends OvsdbTxnError {}
/** "not owner": an `assert` on a lock this client does not hold (5.2.9). */
export class OvsdbNotOwnerError extends OvsdbTxnError {}
/** "syntax error": ovsdb-server could not parse an operation (a bug in our builders). */
export class OvsdbSyntaxError extends OvsdbTxnError {}
/** "not allowed": a write in read-only mode or on a reserved database. */
export class OvsdbNotAllowedError extends OvsdbTxnError {}
/** "permission error": RBAC rules forbid the change. */
export class OvsdbPermissionError extends OvsdbTxnError {}
/** "internal error": ovsdb-server's own bug report. */
export class OvsdbInternalError extends OvsdbTxnError {}

const TXN_CLASSES: Record<string, typeof OvsdbTxnError> = {
  'referential integrity violation': OvsdbReferentialIntegrityError,
  'constraint violation': OvsdbConstraintViolationError,
  'resources exhausted': OvsdbResourcesExhaustedError,
  'I/O error': OvsdbIoError,
  'duplicate uuid-name': OvsdbDuplicateUuidNameError,
  'domain error': OvsdbDomainError,
  'range error': OvsdbRangeError,
  'timed out': OvsdbTimedOutError,
  'not supported': OvsdbNotSupportedError,
  aborted: OvsdbAbortedError,
  'not owner': OvsdbNotOwnerError,
  'syntax error': OvsdbSyntaxError,
  'not allowed': OvsdbNotAllowedError,
  'permission error': OvsdbPermissionError,
  'internal error': OvsdbInternalError,
};
const TXN_RETRYABLE = new Set([
  'referential integrity violation',
  'resources exhausted',
  'I/O error',
  'timed out',
  'not owner',
]);

/** The OvsdbTxnError subclass for RFC error `error` (the base class for a name we do not know). */
export function ovsdbTxnError(
  opIndex: number,
  op: FailedOperation | undefined,
  error: string,
  details: string | undefined,
): OvsdbTxnError {
  const Cls = Object.hasOwn(TXN_CLASSES, error) ? TXN_CLASSES[error]! : OvsdbTxnError;
  return new Cls(opIndex, op, error, details);
}

// ---- zinit (control socket client) ---------------------------------------------------------

/** A zinit request failed or the socket is unusable; `details.body` is zinit's own error text. */
export class ZinitError extends AppError {
  constructor(code: CodeOf<'zinit'>, message: string, details: Details = {}, cause?: unknown) {
    super(code, message, details, cause);
  }
}

/** EZINIT: zinit answered `command` with an error (`body`, and gen 2's `rpcCode`). */
export const zinitRefused = (command: string, body: unknown, rpcCode?: number): ZinitError =>
  new ZinitError('EZINIT', `zinit ${command}: ${String(body)}`, {
    command,
    body,
    ...(rpcCode !== undefined ? { rpcCode } : {}),
  });
/** EZINITTIMEOUT: the socket gave no (complete) answer within `ms`. */
export const zinitTimeout = (path: string, ms: number): ZinitError =>
  new ZinitError('EZINITTIMEOUT', `zinit socket ${path}: no answer within ${ms} ms`, { path });
/** EZINITPROTO: the answer is neither protocol generation's. */
export const zinitBadAnswer = (what: string, details: Details, answer?: string): ZinitError =>
  new ZinitError(
    'EZINITPROTO',
    `${what}: ` +
      (answer === undefined
        ? 'answer is neither protocol'
        : `unexpected answer ${JSON.stringify(answer.slice(0, 80))}`),
    details,
  );
/** EZINITSOCKET: `path` is not a usable zinit socket; the message says why, for an operator. */
export function zinitSocketError(path: string, err?: unknown): ZinitError {
  const errno = errnoOf(err);
  const why =
    err === undefined
      ? 'is not a socket'
      : errno === 'ECONNREFUSED'
        ? 'refuses connections (is zinit running?)'
        : errno === 'ENOENT'
          ? 'does not exist'
          : errno === 'EACCES'
            ? 'is not accessible (permission denied)'
            : errno === 'ENOTSOCK'
              ? 'is not a socket'
              : `cannot be used (${errno ?? (err as Error).message})`;
  return new ZinitError('EZINITSOCKET', `zinit socket ${path} ${why}`, { path, ...(errno ? { errno } : {}) }, err);
}

/**
 * An EZINITSOCKET for a socket not there yet (missing, or nobody listening): zinit v0.2.14 binds it after starting its
 * units.
 */
export const zinitSocketNotYet = (err: unknown): boolean =>
  err instanceof ZinitError &&
  err.code === 'EZINITSOCKET' &&
  ['ENOENT', 'ECONNREFUSED'].includes(String(err.details.errno));
/** EDHCPZOS: zinit does not run dhcp-zos after `monitor` (`state`: zinit's, e.g. Failure, which it never retries). */
export const dhcpZosNotRunning = (message: string, details: Details): ZinitError =>
  new ZinitError('EDHCPZOS', message, details);

// ---- agent (bridge zos and its configuration) ----------------------------------------------

/** The agent could not build or configure `zos` on the chosen NIC. */
export class AgentError extends AppError {
  constructor(code: CodeOf<'agent'>, message: string, details: Details = {}, cause?: unknown) {
    super(code, message, details, cause);
  }
}

/** ENONIC: the NIC to use is not there (yet); `field` when input named it (--nics, zos.nic, ip=). */
export const noNic = (message: string, details: Details = {}): AgentError => new AgentError('ENONIC', message, details);
/** ENICINUSE: the NIC is already a port of another bridge. */
export const nicInUse = (nic: string, master: string): AgentError =>
  new AgentError('ENICINUSE', `NIC "${nic}" is already a port of "${master}"`, { nic, master });
/** EBRIDGE: building zos failed for a reason no other code covers. */
export const bridgeFailed = (bridge: string, nic: string, cause: unknown): AgentError =>
  new AgentError('EBRIDGE', `building "${bridge}" on "${nic}" failed: ${toAppError(cause).message}`, { nic }, cause);
/** EZOSNOTBRIDGE: a link named zos exists and is not a bridge: not ours to take apart. */
export const zosNotBridge = (kind: string | undefined, note = ''): AgentError =>
  new AgentError('EZOSNOTBRIDGE', `"zos" exists but is not a bridge (kind ${kind ?? 'none'})${note}`, { kind });
/** EVLANFILTER: a VLAN was asked, and the kernel refuses VLAN filtering on zos. */
export const vlanFilterRefused = (
  why: string,
  vlans: { vlanPriv?: number; vlanPub?: number },
  cause: unknown,
): AgentError =>
  new AgentError(
    'EVLANFILTER',
    `vlan:priv/vlan:pub asked, but this kernel refuses VLAN filtering on "zos": ${why}`,
    vlans,
    cause,
  );
/** EVLAN_UNSUPPORTED: the kernel cannot make the 802.1Q sub-interface a VLAN probe needs. */
export const vlanUnsupported = (
  probeIf: string,
  nic: string,
  vlan: number,
  stderr: string,
  cause?: unknown,
): AgentError =>
  new AgentError(
    'EVLAN_UNSUPPORTED',
    `cannot create 802.1Q sub-interface ${probeIf} on ${nic} (vlan ${vlan}): ${stderr || 'refused'}; ` +
      'is the 8021q module available?',
    { nic, vlan, stderr },
    cause,
  );
/** EDADFAILED: another node holds the address (IPv6 duplicate address detection failed). */
export const dadFailed = (address: string, on: string): AgentError =>
  new AgentError('EDADFAILED', `${address} on ${on} failed duplicate address detection`, { address });
/** EDADTIMEOUT: the address stayed tentative for `ms`. */
export const dadTimeout = (address: string, on: string, ms: number): AgentError =>
  new AgentError('EDADTIMEOUT', `${address} on ${on} still tentative after ${ms} ms`, { address });
/** ERA6ROUTE: IPv6-only, no router advertisement gave `on` the kernel's default route within `ms`. */
export const noRaRoute = (on: string, router: string, ms: number): AgentError =>
  new AgentError('ERA6ROUTE', `no router advertisement on ${on} gave a default route within ${ms} ms`, { router });
/** EDHCPCLIENT: no DHCP client to run (none on PATH, or the resolved one is gone). */
export const noDhcpClient = (message: string, details: Details): AgentError =>
  new AgentError('EDHCPCLIENT', message, details);
/**
 * EAPPLY: the kernel refused building or configuring zos with a discovered choice (its NIC, its lease); the agent
 * avoids that NIC and discovers again.
 */
export const choiceRefused = (nic: string, cause: RtnlError): AgentError =>
  new AgentError(
    'EAPPLY',
    `the kernel refused zos on "${nic}" with what discovery found: ${cause.message}`,
    { nic, errno: cause.errno },
    cause,
  );
/** EIPMISSING: no iproute2 `ip` on PATH for the scripts the agent writes. */
export const noIpTool = (path: string): AgentError =>
  new AgentError('EIPMISSING', `no ip (iproute2) on PATH (${path})`, { path });

// ---- mesh (the client-side mesh planner, `ovs-plugin mesh ...`) -----------------------------

/** The mesh planner refused: the plan file is not a plan, or the network has no room left. */
export class MeshError extends AppError {
  constructor(code: CodeOf<'mesh'>, message: string, details: Details = {}, cause?: unknown) {
    super(code, message, details, cause);
  }
}
/**
 * EPLAN: the plan file is not a plan of this version (not JSON, a field of the wrong shape); `field` names it. Nothing
 * is written.
 */
export const badPlan = (field: string, message: string, cause?: unknown): MeshError =>
  new MeshError('EPLAN', `${field}: ${message}`, { field }, cause);
/** ENOSUBNET: every /24 of the network's ip_range is taken by a node or an access. */
export const noFreeSubnet = (ipRange: string, field: string): MeshError =>
  new MeshError('ENOSUBNET', `${field}: no free /24 left in ${ipRange}: remove a node or an access first`, {
    field,
    ip_range: ipRange,
  });

// ---- wireguard (lib/wireguard: UAPI socket, generic netlink) ---------------------------------

/** A WireGuard device could not be read, configured, created or stopped; `device` names it. */
export class WgError extends AppError {
  constructor(code: CodeOf<'wireguard'>, message: string, details: Details = {}, cause?: unknown) {
    super(code, message, details, cause);
  }
}
/** EWG_NODEVICE: no WireGuard device of that name (no UAPI socket, no such link). */
export const wgNoDevice = (device: string, where: string): WgError =>
  new WgError('EWG_NODEVICE', `no WireGuard device "${device}" (${where})`, { device, where });
/** EWG_UNREACHABLE: the device's control channel (UAPI socket, generic netlink) failed or timed out. */
export const wgUnreachable = (device: string, message: string, cause?: unknown): WgError =>
  new WgError('EWG_UNREACHABLE', `WireGuard device "${device}": ${message}`, { device }, cause);
/** EWG_REFUSED: the device answered a change with an error (`errno` of the UAPI, or the kernel's). */
export const wgRefused = (device: string, errno: number | string, message = ''): WgError =>
  new WgError(
    'EWG_REFUSED',
    `WireGuard device "${device}" refused the change (errno ${errno})${message ? `: ${message}` : ''}`,
    { device, errno },
  );
/** EWG_PROTO: an answer of the device that does not follow its protocol (UAPI text, netlink attributes). */
export const wgBadAnswer = (device: string, message: string): WgError =>
  new WgError('EWG_PROTO', `WireGuard device "${device}": ${message}`, { device });
/** EWG_START: wireguard-go did not start, or its device or socket did not appear in time. */
export const wgStartFailed = (device: string, message: string, details: Details = {}, cause?: unknown): WgError =>
  new WgError('EWG_START', `wireguard-go for "${device}": ${message}`, { device, ...details }, cause);
