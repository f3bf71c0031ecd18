// Concatenated-JSON stream framing. RFC 7047 section 3.1 / JSON-RPC 1.0 over a stream: messages
// are JSON objects sent back to back, with no newline or length framing. We find each object's
// end by tracking brace/bracket depth outside strings (bytes >= 0x80 never look like ASCII
// structure in UTF-8, so chunk boundaries inside multibyte characters are harmless).
import { OvsdbError } from './errors.ts';

/** Default largest single message accepted (a full Open_vSwitch dump is far smaller). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const OPEN_BRACE = 0x7b, CLOSE_BRACE = 0x7d, OPEN_BRACKET = 0x5b, CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22, BACKSLASH = 0x5c;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** Splits a byte stream into JSON values; push() chunks as they arrive, get complete values back. */
export class JsonStreamParser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0; // next byte to scan
  private depth = 0;
  private inString = false;
  private escaped = false;
  constructor(private readonly maxBytes = DEFAULT_MAX_MESSAGE_BYTES) {}

  /** Bytes held for an incomplete message. */
  get pending(): number {
    return this.buf.length;
  }

  /** Feeds one chunk; returns every value completed by it. Throws EOVSDB_PROTO on bad input. */
  push(chunk: Buffer | string): unknown[] {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.buf = this.buf.length === 0 ? bytes : Buffer.concat([this.buf, bytes]);
    const out: unknown[] = [];
    let start = 0;
    const buf = this.buf;
    for (let i = this.pos; i < buf.length; i++) {
      const b = buf[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
        continue;
      }
      if (this.depth === 0) {
        if (isSpace(b)) { start = i + 1; continue; }
        if (b !== OPEN_BRACE && b !== OPEN_BRACKET) {
          throw new OvsdbError('EOVSDB_PROTO', `JSON stream: unexpected byte 0x${b.toString(16)} between messages`);
        }
        start = i;
      }
      if (b === QUOTE) this.inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) this.depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        this.depth--;
        if (this.depth === 0) {
          if (i + 1 - start > this.maxBytes) throw this.tooBig();
          const text = buf.subarray(start, i + 1).toString('utf8');
          try {
            out.push(JSON.parse(text));
          } catch (err) {
            throw new OvsdbError('EOVSDB_PROTO', `JSON stream: bad message: ${(err as Error).message}`, {}, err);
          }
          start = i + 1;
        } else if (this.depth < 0) {
          throw new OvsdbError('EOVSDB_PROTO', 'JSON stream: unbalanced closing bracket');
        }
      }
    }
    if (this.depth === 0 && !this.inString) start = Math.max(start, buf.length);
    this.buf = buf.subarray(start);
    this.pos = this.buf.length;
    if (this.buf.length > this.maxBytes) throw this.tooBig();
    return out;
  }

  private tooBig(): OvsdbError {
    return new OvsdbError('EOVSDB_PROTO', `JSON stream: message larger than ${this.maxBytes} bytes`, { maxBytes: this.maxBytes });
  }

  /** Forgets any partial message (after a reconnect). */
  reset(): void {
    this.buf = Buffer.alloc(0);
    this.pos = 0;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
  }
}
