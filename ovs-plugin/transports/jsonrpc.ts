// JSON-RPC 2.0 framing of the daemon: one JSON value per line (newline-delimited), both ways.
// A line is a request object or a batch (an array of them, spec section 6). Everything in it is
// bounded before it is used: line length, nesting depth (scanned on the text, before parsing),
// batch size, the envelope's members and the id's type (string, number or null; section 4).
// Application errors travel as error.data = {code, message, field?} so clients can rethrow them
// with the stable code.
import { badRequest, Code, InternalError, requestNotJson, toAppError, type AppError } from '../../lib/errors.ts';

/** JSON-RPC 2.0 reserved error codes (spec section 5.1) and ours for command failures. */
export const RPC = {
  PARSE: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL: -32603,
  APP: -32000,
} as const;

/** A request id as the spec allows it: string, number or null. */
export type RpcId = string | number | null;

/** One request of a line, ready to run; `id` undefined for a notification (never answered). */
export interface Call {
  id?: RpcId;
  method: string;
  params: unknown;
}

/** A line, read: one call, a batch of calls and per-element errors, or an error for the whole line. */
export type Parsed =
  | { kind: 'single'; call: Call }
  | { kind: 'batch'; items: (Call | Refused)[] }
  | ({ kind: 'invalid' } & Refused);

/** A request refused before it ran, with the id to answer (null when the id itself was bad). */
export interface Refused {
  error: AppError;
  id: RpcId;
}

/** Bounds a line is read under (see ServeLimits). */
export interface LineBounds {
  maxLineBytes: number;
  maxDepth: number;
  maxBatch: number;
}

/** Longest string id echoed back. */
export const MAX_ID_BYTES = 256;
const MEMBERS = new Set(['jsonrpc', 'id', 'method', 'params']);

/** A JSON-RPC error object built from an AppError. */
export function rpcError(e: AppError): { code: number; message: string; data: Record<string, unknown> } {
  const code =
    e.code === Code.EUNKNOWN
      ? RPC.METHOD_NOT_FOUND
      : e.code === Code.EINVALID
        ? RPC.INVALID_PARAMS
        : e.code === Code.EPARSE
          ? RPC.PARSE
          : e.code === Code.EREQUEST
            ? RPC.INVALID_REQUEST
            : RPC.APP;
  const data: Record<string, unknown> = { code: e.code, message: e.message };
  if (typeof e.details.field === 'string') data.field = e.details.field;
  return { code, message: e.message, data };
}

/** The reply object for `id`: a result, or an error from anything thrown. */
export function replyOf(id: RpcId, outcome: { result: unknown } | { error: unknown }): Record<string, unknown> {
  if ('result' in outcome) return { jsonrpc: '2.0', id, result: outcome.result ?? null };
  return { jsonrpc: '2.0', id, error: rpcError(toAppError(outcome.error)) };
}

/**
 * A reply (or batch of replies) as one line; never throws (a result that cannot be encoded becomes an EINTERNAL error
 * for its id).
 */
export function encodeLine(reply: unknown): string {
  try {
    return JSON.stringify(reply) + '\n';
  } catch {
    const id = (reply as { id?: unknown } | null)?.id;
    const keep = typeof id === 'string' || typeof id === 'number' ? id : null;
    return JSON.stringify(replyOf(keep, { error: new InternalError('reply could not be encoded') })) + '\n';
  }
}

/** Deepest nesting of arrays/objects in JSON `text`, counted on the text (strings skipped); stops past `max`. */
export function textDepth(text: string, max: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > deepest && (deepest = depth) > max) return deepest;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/** Reads one line: never throws; every failure is an error to answer. */
export function parseLine(line: string, b: LineBounds): Parsed {
  const invalid = (error: AppError): Parsed => ({ kind: 'invalid', error, id: null });
  if (Buffer.byteLength(line) > b.maxLineBytes)
    return invalid(badRequest(`request line longer than ${b.maxLineBytes} bytes`));
  if (textDepth(line, b.maxDepth) > b.maxDepth)
    return invalid(badRequest(`request nested deeper than ${b.maxDepth} levels`));
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return invalid(requestNotJson());
  }
  if (!Array.isArray(v)) {
    const r = readRequest(v);
    return 'error' in r ? { kind: 'invalid', ...r } : { kind: 'single', call: r };
  }
  if (v.length === 0) return invalid(badRequest('empty batch'));
  if (v.length > b.maxBatch) return invalid(badRequest(`batch of ${v.length} requests; at most ${b.maxBatch}`));
  return { kind: 'batch', items: v.map(readRequest) };
}

// One request object: the envelope checked member by member; an id that is not a string,
// number or null is refused and not echoed (the reply's id is null).
function readRequest(v: unknown): Call | Refused {
  const refuse = (message: string, id: RpcId = null): Refused => ({ error: badRequest(message), id });
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return refuse('request must be a JSON object');
  const req = v as Record<string, unknown>;
  const extra = Object.keys(req).find((k) => !MEMBERS.has(k));
  if (extra !== undefined) return refuse(`unknown member ${JSON.stringify(extra.slice(0, 64))}`);
  const hasId = Object.hasOwn(req, 'id');
  const id = req.id;
  if (hasId && id !== null && typeof id !== 'string' && typeof id !== 'number')
    return refuse('id must be a string, a number or null');
  if (typeof id === 'number' && !Number.isFinite(id)) return refuse('id must be a finite number');
  if (typeof id === 'string' && Buffer.byteLength(id) > MAX_ID_BYTES)
    return refuse(`id longer than ${MAX_ID_BYTES} bytes`);
  const ok = (hasId ? id : null) as RpcId;
  if (req.jsonrpc !== '2.0') return refuse('jsonrpc must be "2.0"', ok);
  if (typeof req.method !== 'string') return refuse('method must be a string', ok);
  if (req.params !== undefined && (req.params === null || typeof req.params !== 'object'))
    return refuse('params must be an object or an array', ok);
  return { ...(hasId ? { id: ok } : {}), method: req.method, params: req.params ?? {} };
}

/** Splits a byte stream into lines; lines are taken one at a time so the reader can stop between them. */
export class LineReader {
  private buf = '';
  private pos = 0;
  private overflowed = false;
  constructor(private readonly max: number) {}

  /** Appends one chunk. */
  push(chunk: string): void {
    if (this.overflowed) return;
    this.buf = this.pos > 0 ? this.buf.slice(this.pos) + chunk : this.buf + chunk;
    this.pos = 0;
  }

  /**
   * The next complete non-blank line, `undefined` if none yet, or `null` once a line passed `max` bytes (the stream is
   * then unusable).
   */
  next(): string | undefined | null {
    while (!this.overflowed) {
      const i = this.buf.indexOf('\n', this.pos);
      const end = i < 0 ? this.buf.length : i;
      // A string's UTF-8 size is between its length and three times it: count bytes only when in doubt.
      const chars = end - this.pos;
      if (chars > this.max || (chars * 3 > this.max && Buffer.byteLength(this.buf.slice(this.pos, end)) > this.max))
        return this.overflow();
      if (i < 0) return undefined;
      const line = this.buf.slice(this.pos, i);
      this.pos = i + 1;
      if (line.trim()) return line;
    }
    return null;
  }

  /** Drops what is held; nothing more is read (the connection is being closed). */
  discard(): void {
    this.overflow();
  }

  /** Characters received but not yet taken as lines. */
  get buffered(): number {
    return this.buf.length - this.pos;
  }

  private overflow(): null {
    this.overflowed = true;
    this.buf = '';
    this.pos = 0;
    return null;
  }
}
