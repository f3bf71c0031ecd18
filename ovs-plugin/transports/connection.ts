// One client connection of the daemon. Lines are taken from the socket one at a time and only
// while the client keeps up: reading stops while its replies are not drained (more than
// `maxQueuedReplyBytes` queued) or while one of its requests waits for a command slot, and
// resumes on 'drain' / once the slot is granted, so memory per client stays bounded however
// fast it sends. The text received and not yet taken is also counted against one budget for
// all connections (line-budget.ts): the connection whose text would pass it gets an EOVERLOAD
// line and is closed. Replies queued to all clients are counted too: past their total, no
// client with replies still queued is read until they are written. A command runs holding its slot
// (ovs-plugin/slot.ts): a wait for a DHCP
// lease gives it back between polls. A client quiet for `idleMs` with nothing in flight gets an EIDLE line and is
// closed. No throw in here can reach the daemon: event handlers are guarded, and a failure
// closes this connection only.
import type { Socket } from 'node:net';
import { badRequest, Code, idleClosed, overloaded, shuttingDown, toAppError, type AppError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import { holdingSlot } from '../slot.ts';
import type { Gate } from './gate.ts';
import type { LineBudget } from './line-budget.ts';
import { encodeLine, LineReader, parseLine, replyOf, type Call, type Refused } from './jsonrpc.ts';
import type { ServeLimits } from './limits.ts';
import type { RateLimitedLog } from './log-limit.ts';

/** What a connection needs from the daemon. */
export interface ConnectionContext {
  limits: ServeLimits;
  /** Slots for executing commands, shared by all connections. */
  gate: Gate;
  /** Request text held by all connections' readers. */
  buffered: LineBudget;
  /** Reply bytes queued to all connections' sockets (each keeps its share current). */
  queued: { bytes: number };
  /** Runs one command (validation included); throws its AppError. */
  run(method: string, params: unknown): Promise<unknown>;
  /** True once SIGTERM/SIGINT arrived: requests get ESHUTDOWN. */
  stopping(): boolean;
  log: Logger;
  warn: RateLimitedLog;
  /** Called when a request is taken (+1) and when it is answered or dropped (-1). */
  countInflight(delta: number): void;
}

let lingering = 0;
/** Refused sockets kept open at once to let their line reach a client that is still writing. */
export const MAX_LINGERING = 32;

/**
 * Writes one error line to a socket that is not (or no longer) served, then closes it. The
 * socket lingers (read side drained, for at most a second) so that a client still writing does
 * not get EPIPE before it reads the line; past MAX_LINGERING such sockets, it is closed at once.
 */
export function refuse(sock: Socket, error: AppError): void {
  sock.on('error', () => undefined);
  if (!sock.writable) return void sock.destroy();
  const line = encodeLine(replyOf(null, { error }));
  if (lingering >= MAX_LINGERING) return void sock.write(line, () => sock.destroy());
  lingering++;
  const timer = setTimeout(() => sock.destroy(), 1000);
  sock.once('close', () => {
    lingering--;
    clearTimeout(timer);
  });
  sock.on('data', () => undefined);
  sock.end(line);
}

/** Serves one accepted socket until it closes. */
export class Connection {
  private readonly reader: LineReader;
  /** Requests of this client waiting for a command slot (reading stops meanwhile). */
  private waiting = 0;
  /** Lines taken and not yet answered. */
  private outstanding = 0;
  /** This connection's share of `ctx.buffered`. */
  private charged = 0;
  /** This connection's share of `ctx.queued`. */
  private queuedShare = 0;
  private closed = false;

  constructor(
    private readonly sock: Socket,
    private readonly ctx: ConnectionContext,
    readonly id: number,
    onClose: (c: Connection) => void,
  ) {
    this.reader = new LineReader(ctx.limits.maxLineBytes);
    sock.setEncoding('utf8');
    sock.setTimeout(ctx.limits.idleMs);
    sock.on('data', (d: string) =>
      this.guard(() => {
        this.reader.push(d);
        this.pump();
        this.charge();
      }),
    );
    sock.on('drain', () =>
      this.guard(() => {
        this.pump();
        this.charge();
      }),
    );
    sock.on('timeout', () => this.guard(() => this.onIdle()));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      this.closed = true;
      this.charge();
      this.countQueued();
      ctx.warn.flush(`${this.id}:`);
      onClose(this);
    });
  }

  /** Ends the connection once its replies are written (shutdown). */
  end(): void {
    if (this.closed) return;
    this.sock.end(() => this.sock.destroy());
  }

  // Takes lines while the client keeps up; otherwise pauses the socket until drain or a slot.
  private pump(): void {
    while (!this.closed) {
      const queued = this.sock.writableLength;
      const l = this.ctx.limits;
      if (
        this.waiting > 0 ||
        queued > l.maxQueuedReplyBytes ||
        (queued > 0 && this.ctx.queued.bytes > l.maxQueuedRepliesTotal)
      ) {
        this.sock.pause();
        return;
      }
      const line = this.reader.next();
      if (line === undefined) {
        this.sock.resume();
        return;
      }
      if (line === null) {
        this.warn('ovs-request-refused', { code: Code.EREQUEST, message: 'request line too long' });
        this.refuse(badRequest(`request line longer than ${this.ctx.limits.maxLineBytes} bytes`));
        return;
      }
      this.take(line);
    }
  }

  // One line: answered at once if it is not a valid request, else run (a batch: each element).
  private take(line: string): void {
    const parsed = parseLine(line, this.ctx.limits);
    if (parsed.kind === 'invalid') {
      this.send(this.refused(parsed));
      return;
    }
    this.outstanding++;
    this.ctx.countInflight(1);
    const done = (reply: unknown) => {
      this.outstanding--;
      this.ctx.countInflight(-1);
      if (reply !== undefined) this.send(reply);
    };
    if (parsed.kind === 'single') return void this.call(parsed.call).then(done);
    void Promise.all(
      parsed.items.map((it) => ('error' in it ? Promise.resolve(this.refused(it)) : this.call(it))),
    ).then((replies) => {
      // Section 6: one array of the replies; nothing at all if every element was a notification.
      const answered = replies.filter((r) => r !== undefined);
      done(answered.length ? answered : undefined);
    });
  }

  // One call through the gate; resolves with its reply (undefined for a notification), never rejects.
  private async call(call: Call): Promise<Record<string, unknown> | undefined> {
    this.waiting++;
    await this.ctx.gate.acquire();
    if (--this.waiting === 0)
      queueMicrotask(() =>
        this.guard(() => {
          this.pump();
          this.charge();
        }),
      );
    let outcome: { result: unknown } | { error: unknown };
    try {
      if (this.ctx.stopping()) throw shuttingDown();
      outcome = { result: await holdingSlot(this.ctx.gate, () => this.ctx.run(call.method, call.params)) };
    } catch (err) {
      const e = toAppError(err);
      outcome = { error: e };
      this.warn('ovs-command-failed', {
        method: call.method.slice(0, 64),
        code: e.code,
        message: e.message.slice(0, 512),
      });
    } finally {
      this.ctx.gate.release();
    }
    // JSON-RPC 2.0 section 4.1: a notification (no id) is never answered, not even on error.
    return call.id === undefined ? undefined : replyOf(call.id, outcome);
  }

  private refused(r: Refused): Record<string, unknown> {
    this.warn('ovs-request-refused', { code: r.error.code, message: r.error.message });
    return replyOf(r.id, { error: r.error });
  }

  private send(reply: unknown): void {
    if (this.closed || !this.sock.writable) return;
    // Once written out, the share shrinks and reading may resume (there may be no 'drain').
    this.sock.write(encodeLine(reply), () =>
      this.guard(() => {
        this.countQueued();
        this.pump();
        this.charge();
      }),
    );
    this.countQueued();
  }

  // Keeps this connection's share of the replies queued to all clients current.
  private countQueued(): void {
    const now = this.closed ? 0 : this.sock.writableLength;
    this.ctx.queued.bytes += now - this.queuedShare;
    this.queuedShare = now;
  }

  // Counts what the reader holds now against the budget of all connections; the connection
  // whose text would pass it is refused (its text dropped). A closed one holds nothing.
  private charge(): void {
    const now = this.closed ? 0 : this.reader.buffered;
    if (this.ctx.buffered.move(this.charged, now)) {
      this.charged = now;
      return;
    }
    this.warn('ovs-request-refused', { code: Code.EOVERLOAD, message: 'buffered request text over budget' });
    this.refuse(overloaded(this.ctx.buffered.max));
  }

  // Quiet for idleMs: close unless something is in flight (replies re-arm the timer).
  private onIdle(): void {
    if (this.outstanding > 0 || this.closed) return;
    if (this.sock.writableLength > 0) return void this.sock.destroy(); // not reading its replies either
    this.refuse(idleClosed(this.ctx.limits.idleMs));
  }

  // The last line this connection gets: nothing it sends afterwards is read or answered.
  private refuse(error: AppError): void {
    this.closed = true;
    this.reader.discard();
    this.charge();
    refuse(this.sock, error);
  }

  private warn(event: string, fields: Record<string, unknown>): void {
    this.ctx.warn.warn(`${this.id}:${event}`, event, { conn: this.id, ...fields });
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.ctx.log.error('ovs-connection-failed', { conn: this.id, message: toAppError(err).message });
      this.sock.destroy();
    }
  }
}
