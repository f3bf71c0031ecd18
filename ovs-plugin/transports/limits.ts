// The daemon's limits, derived from its own file limit so that it cannot run out of descriptors
// (an accept or a spawn failing with EMFILE) whatever `ulimit -n` it was started under.
// Node has no getrlimit: Linux shows the soft limit in /proc/self/limits ("Max open files").
import { readFileSync } from 'node:fs';
import { isAccessDenied, isMissingPath } from '../../lib/errors.ts';
import { MAX_ARGS_BYTES, MAX_DEPTH } from '../validate.ts';

/** What one daemon accepts at once. */
export interface ServeLimits {
  /** Open file soft limit the rest is derived from. */
  nofile: number;
  /** Connections served at once; one more gets an ETOOMANY line and is closed. */
  maxConnections: number;
  /** Commands executing at once (each may hold a child process: ~6 descriptors); the rest wait, unread. */
  maxInflight: number;
  /**
   * Commands waiting for a DHCP lease with their slot given back (a poll's sleep holds no descriptor); past it they
   * keep their slot.
   */
  maxLentSlots: number;
  /** A connection with nothing in flight that sends nothing for this long gets EIDLE and is closed. */
  idleMs: number;
  /** Longest request line (bytes). */
  maxLineBytes: number;
  /** Deepest nesting of a whole request line: a batch array, the request object, then params. */
  maxDepth: number;
  /** Most requests in one batch. */
  maxBatch: number;
  /** Reply bytes queued to a client before the daemon stops reading its requests. */
  maxQueuedReplyBytes: number;
  /** Reply bytes queued to all clients together past which no client with replies queued is read. */
  maxQueuedRepliesTotal: number;
  /**
   * Characters of request lines received and not yet taken, all connections together; the connection that would pass it
   * gets EOVERLOAD and is closed.
   */
  maxBufferedChars: number;
}

/**
 * What all connections may hold of received, untaken request text: about 250 of the longest lines (16 MiB of ASCII).
 */
export const MAX_BUFFERED_CHARS = 16 * 1024 * 1024;

/** Descriptors one executing command may hold: a child's stdout and stderr pipes and spawn's error pipe. */
export const FDS_PER_COMMAND = 6;
/** Descriptors kept for the process itself (stdio, epoll, OVSDB, libuv, refusal replies). */
const BASE_RESERVE = 48;

/** The soft "Max open files" of this process; `unlimited` (or an unreadable file) counts as 1M. */
export function openFileLimit(text?: string): number {
  let t = text;
  if (t === undefined) {
    try {
      t = readFileSync('/proc/self/limits', 'utf8');
    } catch (err) {
      if (isMissingPath(err) || isAccessDenied(err)) return 1 << 20;
      throw err;
    }
  }
  const m = /^Max open files\s+(\S+)/m.exec(t);
  if (!m || m[1] === 'unlimited') return 1 << 20;
  const n = Number(m[1]);
  return Number.isInteger(n) && n > 0 ? n : 1 << 20;
}

/**
 * Limits for a process allowed `nofile` descriptors: a reserve for the process, a quarter of the
 * rest for executing commands, the remainder for connections. Under 256: 7 commands, 141
 * connections; under 1024: 36 and 658.
 */
export function serveLimits(nofile = openFileLimit(), idleMs = 120_000): ServeLimits {
  const usable = Math.max(0, nofile - BASE_RESERVE - Math.floor(nofile / 10));
  const maxInflight = Math.max(1, Math.min(64, Math.floor(usable / 4 / FDS_PER_COMMAND)));
  const maxConnections = Math.max(1, Math.min(8192, usable - maxInflight * FDS_PER_COMMAND));
  return {
    nofile,
    maxConnections,
    maxInflight,
    idleMs,
    // A lent slot's command is a few KB of promises and a timer: bounded like connections.
    maxLentSlots: Math.min(1024, maxConnections),
    maxLineBytes: MAX_ARGS_BYTES + 1024,
    maxDepth: MAX_DEPTH + 2,
    maxBatch: 64,
    maxQueuedReplyBytes: 256 * 1024,
    maxQueuedRepliesTotal: 16 * 1024 * 1024,
    maxBufferedChars: MAX_BUFFERED_CHARS,
  };
}
