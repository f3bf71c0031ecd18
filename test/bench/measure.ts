// Latency of `n` calls of `fn`, spread over `clients` concurrent callers: total time and quantiles.

export interface Measured {
  totalMs: number;
  /** Latencies in ms, sorted ascending. */
  latencies: number[];
  /** The q-quantile (0..1) of the latencies, in ms. */
  q(p: number): number;
}

/** Runs fn(0..n-1) with `clients` callers pulling from one counter; times every call. */
export async function measure(n: number, clients: number, fn: (i: number) => Promise<unknown>): Promise<Measured> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < n) {
        const i = next++;
        const s = performance.now();
        await fn(i);
        latencies.push(performance.now() - s);
      }
    }),
  );
  const totalMs = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return { totalMs, latencies, q };
}
