// Repeated log lines, rate-limited: a client sending a million bad requests must not write a
// million warn lines. Each key (event + client) may log `burst` lines per window; the rest are
// counted and reported once as `log-suppressed event=... n=...` when the window ends or the key
// is flushed (its client disconnected).
import type { Fields, Logger } from '../../lib/log.ts';

interface Slot {
  event: string;
  windowStart: number;
  lines: number;
  suppressed: number;
}

/** A warn logger that lets `burst` lines per key through each `windowMs`. */
export class RateLimitedLog {
  private readonly slots = new Map<string, Slot>();
  constructor(
    private readonly log: Logger,
    private readonly burst = 5,
    private readonly windowMs = 10_000,
    private readonly now = () => Date.now(),
  ) {}

  /** Logs `event` at warn unless `key` used up its lines in this window. */
  warn(key: string, event: string, fields: Fields = {}): void {
    const t = this.now();
    let s = this.slots.get(key);
    if (s && t - s.windowStart >= this.windowMs) {
      this.report(s);
      s = undefined;
    }
    if (!s) this.slots.set(key, (s = { event, windowStart: t, lines: 0, suppressed: 0 }));
    if (s.lines < this.burst) {
      s.lines++;
      this.log.warn(event, fields);
    } else s.suppressed++;
  }

  /** Reports and forgets every key starting with `prefix` (a client that went away). */
  flush(prefix: string): void {
    for (const [k, s] of this.slots) {
      if (!k.startsWith(prefix)) continue;
      this.report(s);
      this.slots.delete(k);
    }
  }

  private report(s: Slot): void {
    if (s.suppressed > 0)
      this.log.warn('log-suppressed', {
        event: s.event,
        n: s.suppressed,
        seconds: Math.round((this.now() - s.windowStart) / 1000),
      });
  }
}
