// Concatenated-JSON stream framing. RFC 7047 section 3.1 / JSON-RPC 1.0 over a stream: messages
// are JSON objects sent back to back, with no newline or length framing. We find each object's
// end by tracking brace/bracket depth outside strings (bytes >= 0x80 never look like ASCII
// structure in UTF-8, so chunk boundaries inside multibyte characters are harmless).
import { ovsdbProtoError, type OvsdbError } from '../../lib/errors.ts';

/** Default largest single message accepted (a full Open_vSwitch dump is far smaller). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const OPEN_BRACE = 0x7b,
  CLOSE_BRACE = 0x7d,
  OPEN_BRACKET = 0x5b,
  CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22,
  BACKSLASH = 0x5c;

function parse(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw ovsdbProtoError(`JSON stream: bad message: ${(err as Error).message}`, {}, err);
  }
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** Splits a byte stream into JSON values; push() chunks as they arrive, get complete values back. */
export class JsonStreamParser {
  // Parts of the message in progress: earlier chunks are kept as they are and joined only once
  // the message is complete, so a large reply costs one copy, not one per chunk.
  private parts: Buffer[] = [];
  private partsLen = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  constructor(private readonly maxBytes = DEFAULT_MAX_MESSAGE_BYTES) {}

  /** Bytes held for an incomplete message. */
  get pending(): number {
    return this.partsLen;
  }

  /** Feeds one chunk; returns every value completed by it. Throws EOVSDB_PROTO on bad input. */
  push(chunk: Buffer | string): unknown[] {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const out: unknown[] = [];
    let start = 0; // start of the current message within buf (when it began in this chunk)
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
        continue;
      }
      if (this.depth === 0) {
        if (isSpace(b)) continue;
        if (b !== OPEN_BRACE && b !== OPEN_BRACKET) {
          throw ovsdbProtoError(`JSON stream: unexpected byte 0x${b.toString(16)} between messages`);
        }
        start = i;
      }
      if (b === QUOTE) this.inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) this.depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        if (--this.depth === 0) {
          const tail = buf.subarray(start, i + 1);
          if (this.partsLen + tail.length > this.maxBytes) throw this.tooBig();
          const whole = this.parts.length ? Buffer.concat([...this.parts, tail]) : tail;
          this.parts = [];
          this.partsLen = 0;
          out.push(parse(whole));
        }
      }
    }
    if (this.depth > 0 || this.inString) {
      const rest = buf.subarray(start);
      this.parts.push(rest);
      this.partsLen += rest.length;
      if (this.partsLen > this.maxBytes) throw this.tooBig();
    }
    return out;
  }

  /** Forgets any partial message (after a reconnect). */
  reset(): void {
    this.parts = [];
    this.partsLen = 0;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
  }

  private tooBig(): OvsdbError {
    return ovsdbProtoError(`JSON stream: message larger than ${this.maxBytes} bytes`, { maxBytes: this.maxBytes });
  }
}
