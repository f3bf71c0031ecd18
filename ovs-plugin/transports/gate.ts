// A counting gate for executing commands: at most `max` hold a slot; the others wait in arrival
// order. The daemon's file budget is spent per slot (a command may hold a child process).

/** At most `max` holders at once; `acquire` waits (first come, first served). */
export class Gate {
  private held = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly max: number) {}

  /** Resolves once a slot is ours; call `release` exactly once after. */
  acquire(): Promise<void> {
    if (this.held < this.max) {
      this.held++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Gives the slot back, or hands it straight to the first waiter. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.held--;
  }

  /** Slots held (executing commands). */
  get inUse(): number {
    return this.held;
  }

  /** Commands waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }
}
