// JSON-RPC 2.0 framing of the daemon: one JSON object per line (newline-delimited), both ways.
// Application errors travel as error.data = {code, message, field?} so clients can rethrow them
// with the stable code.
import { Code, type AppError } from '../../lib/errors.ts';

/** JSON-RPC 2.0 reserved error codes (spec section 5.1) and ours for command failures. */
export const RPC = { PARSE: -32700, INVALID_REQUEST: -32600, METHOD_NOT_FOUND: -32601, INVALID_PARAMS: -32602, INTERNAL: -32603, APP: -32000 } as const;

/** Longest request line accepted (argument limit plus envelope). */
export const MAX_LINE_BYTES = 64 * 1024 + 1024;

/** A JSON-RPC error object built from an AppError. */
export function rpcError(e: AppError): { code: number; message: string; data: Record<string, unknown> } {
  const code = e.code === Code.EUNKNOWN ? RPC.METHOD_NOT_FOUND : e.code === Code.EINVALID ? RPC.INVALID_PARAMS : e.code === Code.EPARSE ? RPC.PARSE : e.code === Code.EREQUEST ? RPC.INVALID_REQUEST : RPC.APP;
  const data: Record<string, unknown> = { code: e.code, message: e.message };
  if (e.details.field !== undefined) data.field = e.details.field;
  return { code, message: e.message, data };
}

/** Splits a byte stream into lines, refusing any line longer than `max` bytes. */
export class LineReader {
  private buf = '';
  constructor(private readonly onLine: (line: string) => void, private readonly onOverflow: () => void, private readonly max = MAX_LINE_BYTES) {}

  /** Feeds one chunk. */
  push(chunk: string): void {
    this.buf += chunk;
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      if (Buffer.byteLength(line) > this.max) { this.onOverflow(); return; }
      if (line.trim()) this.onLine(line);
    }
    if (Buffer.byteLength(this.buf) > this.max) { this.buf = ''; this.onOverflow(); }
  }
}
