// Typed OVSDB errors with stable codes (STYLE.md points 8, 9). Tests assert on `code`.
import { AppError } from '../../lib/errors.ts';
import type { Operation } from './types.ts';

/** Stable codes: one transaction operation failed / connection lost or refused / no answer in time / bad reply or request-level error. */
export type OvsdbErrorCode = 'EOVSDB_TXN' | 'EOVSDB_CONN' | 'EOVSDB_TIMEOUT' | 'EOVSDB_RPC' | 'EOVSDB_PROTO';

/** Every failure of the OVSDB client; context (op index, RFC error, details) in fields. */
export class OvsdbError extends AppError {
  declare readonly code: OvsdbErrorCode;
  constructor(code: OvsdbErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(code, message, details, cause);
    this.name = 'OvsdbError';
  }
}

/**
 * RFC 7047 4.1.3: an operation's result is `{error, details}`; when every op succeeded but the
 * commit failed, one extra error result follows the last op (index === ops.length).
 */
export class OvsdbTxnError extends OvsdbError {
  readonly opIndex: number;
  readonly error: string;
  readonly opDetails: string | undefined;
  readonly op: Operation | undefined;
  constructor(opIndex: number, op: Operation | undefined, error: string, details: string | undefined) {
    const what = op ? `operation ${opIndex} (${op.op}${'table' in op ? ` ${op.table}` : ''})` : 'commit';
    super('EOVSDB_TXN', `OVSDB ${what} failed: ${error}${details ? `: ${details}` : ''}`,
      { opIndex, error, ovsdbDetails: details, op: op?.op, table: op && 'table' in op ? op.table : undefined });
    this.name = 'OvsdbTxnError';
    this.opIndex = opIndex;
    this.error = error;
    this.opDetails = details;
    this.op = op;
  }
}

/** Connection to the server lost, refused, or not re-established in time. */
export function connError(message: string, details: Record<string, unknown> = {}, cause?: unknown): OvsdbError {
  return new OvsdbError('EOVSDB_CONN', message, details, cause);
}

/** A request (or a wait on the switch) got no answer within `ms`. */
export function timeoutError(what: string, ms: number, details: Record<string, unknown> = {}): OvsdbError {
  return new OvsdbError('EOVSDB_TIMEOUT', `${what}: no answer within ${ms} ms`, { what, ms, ...details });
}
