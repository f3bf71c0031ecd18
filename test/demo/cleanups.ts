// What a demo registers to undo (namespaces, servers, QEMU), run in reverse once: at the end,
// on error and on Ctrl-C. `ctx` stands in for a test context's `after`.
/** A cleanup list with a test-context-like `after` and a `teardown` that runs it once. */
export function cleanups(done?: string): { ctx: { after(fn: () => unknown): void }; teardown(): Promise<void> } {
  const fns: (() => unknown)[] = [];
  let tornDown = false;
  return {
    ctx: {
      after: (fn) => {
        fns.push(fn);
      },
    },
    async teardown() {
      if (tornDown) return;
      tornDown = true;
      for (const fn of fns.reverse()) {
        try {
          await fn();
        } catch (err) {
          console.error(`demo: cleanup failed: ${String(err)}`);
        }
      }
      if (done) console.log(done);
    },
  };
}
