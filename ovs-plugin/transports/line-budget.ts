// One budget for the request text all connections hold before it is taken as lines: each
// connection's own cap (the longest line) times the connection cap is hundreds of MB, so many
// connections each keeping an unfinished line could grow the daemon without bound otherwise.

/** Characters held in the connections' line readers, together, against `max`. */
export class LineBudget {
  private held = 0;
  constructor(readonly max: number) {}

  /**
   * One holder's count goes from `was` to `now`: true if done; false (nothing changed) when a
   * growth would pass `max`. Shrinking always succeeds.
   */
  move(was: number, now: number): boolean {
    if (now > was && this.held - was + now > this.max) return false;
    this.held += now - was;
    return true;
  }

  /** Characters held now by all connections. */
  get total(): number {
    return this.held;
  }
}
