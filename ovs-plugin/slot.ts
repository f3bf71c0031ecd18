// A command's slot of the daemon's gate, reachable from deep inside the command (nic kinds call
// startDhcp three layers down) without threading a parameter through every kind: the daemon
// runs each command inside `holdingSlot`, and a pure wait (a sleep between polls: no child
// process, no descriptor) calls `withoutSlot` to give the slot back while it sleeps. Outside the
// daemon (exec has no gate), or after its command has answered, `withoutSlot` just runs the wait.
import { AsyncLocalStorage } from 'node:async_hooks';

/** What lends a held slot out for one wait and takes it back after (the daemon's Gate). */
export interface SlotLender {
  lend<T>(wait: () => Promise<T>): Promise<T>;
}

interface Held {
  lender: SlotLender;
  lent: boolean;
  done: boolean;
}
const current = new AsyncLocalStorage<Held>();

/** Runs one command holding one slot of `lender`; waits inside it may give the slot back. */
export async function holdingSlot<T>(lender: SlotLender, fn: () => Promise<T>): Promise<T> {
  const held: Held = { lender, lent: false, done: false };
  try {
    return await current.run(held, fn);
  } finally {
    held.done = true; // a timer the command left behind must not lend a slot it no longer holds
  }
}

/**
 * Runs `wait` with this command's slot given back meanwhile (taken again before it returns).
 * Only for waits that hold no descriptor: the slot is what bounds the daemon's child processes.
 */
export async function withoutSlot<T>(wait: () => Promise<T>): Promise<T> {
  const held = current.getStore();
  if (!held || held.lent || held.done) return wait();
  held.lent = true;
  try {
    return await held.lender.lend(wait);
  } finally {
    held.lent = false;
  }
}
