// Waiting between attempts, for the whole project: one capped exponential backoff with jitter,
// and one sleep that an AbortSignal ends by rejecting with the signal's reason.

/** A backoff policy: `baseMs` for the first retry, times `factor` per retry, at most `capMs`. */
export interface Backoff {
  baseMs: number;
  capMs: number;
  /** Growth per retry (default 2). */
  factor?: number;
  /** The delay is scaled by a random number in [lo, hi] (default [1, 1]: no jitter). */
  jitter?: readonly [number, number];
}

/** Delay before retry `n` (1-based): min(cap, base * factor^(n-1)), jittered, in whole ms. */
export function backoffDelay(n: number, b: Backoff, rnd: () => number = Math.random): number {
  const exp = Math.min(Math.max(0, n - 1), 64); // finite even for a 0 base
  const [lo, hi] = b.jitter ?? [1, 1];
  return Math.round(Math.min(b.capMs, b.baseMs * (b.factor ?? 2) ** exp) * (lo + (hi - lo) * rnd()));
}

/** Resolves after `ms`; if `signal` aborts first (or already has), rejects with its reason. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
