// Checking a `transact` reply (RFC 7047 4.1.3): one result per operation; a failed operation's
// result is {error, details} and later ones are null; when every operation succeeded but the
// commit failed (e.g. a referential-integrity or constraint violation) the server appends one
// extra error result at index ops.length.
import { ovsdbProtoError, ovsdbTxnError } from '../../lib/errors.ts';
import type { Operation, OperationResult } from './types.ts';

/** Throws OvsdbTxnError for the first failed op (or the trailing commit error); returns one result per op. */
export function checkTransactResults(ops: readonly Operation[], results: unknown): OperationResult[] {
  if (!Array.isArray(results)) {
    throw ovsdbProtoError(`transact: reply is not an array: ${JSON.stringify(results)?.slice(0, 200)}`);
  }
  for (let i = 0; i < results.length; i++) {
    const r = results[i] as OperationResult | null;
    if (r !== null && typeof r === 'object' && typeof r.error === 'string') {
      throw ovsdbTxnError(i, ops[i], r.error, typeof r.details === 'string' ? r.details : undefined);
    }
  }
  if (results.length < ops.length) {
    throw ovsdbProtoError(`transact: ${results.length} results for ${ops.length} operations`);
  }
  return results.slice(0, ops.length) as OperationResult[];
}
