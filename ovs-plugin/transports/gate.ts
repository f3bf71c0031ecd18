// A counting gate for executing commands: at most `max` hold a slot; the others wait in arrival
// order. The daemon's file budget is spent per slot (a command may hold a child process). A
// holder may lend its slot out for a wait that holds no descriptor (a DHCP lease's poll sleep:
// ovs-plugin/slot.ts); at most `maxLent` such waits at once, past that the holder keeps its slot.

/** At most `max` holders at once; `acquire` waits (first come, first served). */
export class Gate {
  private held = 0;
  private lentOut = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(
    readonly max: number,
    readonly maxLent = 0,
  ) {}

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

  /**
   * For a slot holder: gives its slot back while `wait` runs, then queues for one again (behind
   * whoever arrived meanwhile). Counted as lent until the slot is back, so at most `maxLent`
   * holders are between slots; past that `wait` runs with the slot kept.
   */
  async lend<T>(wait: () => Promise<T>): Promise<T> {
    if (this.lentOut >= this.maxLent) return wait();
    this.lentOut++;
    this.release();
    try {
      return await wait();
    } finally {
      await this.acquire();
      this.lentOut--;
    }
  }

  /** Slots held (executing commands). */
  get inUse(): number {
    return this.held;
  }

  /** Commands waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Holders whose slot is lent out for a wait (or being taken back). */
  get lent(): number {
    return this.lentOut;
  }
}
