// Errors of the daemon's transport, each with a stable code (clients and tests match on `code`).
// They travel as JSON-RPC error lines; none of them closes a connection without a line first.
import { AppError } from '../../lib/errors.ts';

/** The request line is not JSON (JSON-RPC -32700). */
export const parseError = (message: string): AppError => new AppError('EPARSE', message);

/** The line is JSON but not a valid JSON-RPC 2.0 request: envelope, id type, size, depth (-32600). */
export const badRequest = (message: string, details: Record<string, unknown> = {}): AppError =>
  new AppError('EREQUEST', message, details);

/** The daemon already serves as many connections as its file limit allows; this one is closed. */
export const tooManyConnections = (max: number): AppError =>
  new AppError('ETOOMANY', `connection limit reached (${max}); try again later`, { max });

/** The connection sent nothing for `ms` and had nothing in flight; it is closed. */
export const idle = (ms: number): AppError => new AppError('EIDLE', `closing connection idle for ${ms} ms`, { ms });

/** The daemon is stopping (SIGTERM/SIGINT): new requests are refused. */
export const shuttingDown = (): AppError => new AppError('ESHUTDOWN', 'daemon is shutting down');

/** The socket's place is not safe or usable: another user could replace it, or it is ours to refuse. */
export const unsafeSocket = (message: string, details: Record<string, unknown> = {}): AppError =>
  new AppError('EUNSAFE', `--socket: ${message}`, { field: '--socket', ...details });

/** A command line the exec transport cannot read (missing command, extra arguments). */
export const usage = (message: string): AppError => new AppError('EUSAGE', message);
