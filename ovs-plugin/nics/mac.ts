// MACs the plugin chooses itself.
import { randomBytes } from 'node:crypto';

/** A random locally administered unicast MAC (a nic's, recorded before its link exists; a bridge's own). */
export function randomMac(): string {
  const b = randomBytes(6);
  b[0] = (b[0]! & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}
