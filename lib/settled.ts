// Work run side by side that must all have ended before its caller goes on: Promise.all throws
// at the first failure while the others still run (and could act after their caller released
// its lock); this waits for every one, then throws the first failure.

/** Awaits every promise of `ps`, then throws the first failure (in `ps`'s order), else returns the values. */
export async function allSettledOrThrow<T extends readonly unknown[]>(
  ps: {
    readonly [K in keyof T]: Promise<T[K]>;
  },
): Promise<T> {
  const r = await Promise.allSettled(ps);
  const failed = r.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (failed) throw failed.reason;
  return r.map((x) => (x as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
