// A member's identity, made before the state lock (it takes about a second of CPU) and written
// into its home by attach: `zerotier-one -i generate` prints `<node>:0:<public>:<private>`; the
// node id is its first 10 hex digits. The member's MAC on a network follows from the node and
// network ids (ZeroTier's MAC::fromAddress), so the record holds it before the TAP exists.
import { run } from '../../../lib/exec.ts';
import { ztStart } from '../errors.ts';

/** A fresh identity: the secret line and its node id. */
export async function generateIdentity(bin: string): Promise<{ secret: string; node: string }> {
  const r = await run(bin, ['-i', 'generate'], { timeoutMs: 30_000 });
  const secret = r.stdout.trim();
  const m = /^([0-9a-f]{10}):0:[0-9a-f]+:[0-9a-f]+$/.exec(secret);
  if (!m) throw ztStart(`${bin} -i generate printed no identity`, { stdout: secret.slice(0, 40) });
  return { secret, node: m[1]! };
}

/**
 * The member's MAC on network `nwid`: first octet from the network id (locally administered, not
 * multicast; 0x52 becomes 0x32), the node id XORed with the network id's bytes 1..5 (ZeroTier's MAC.hpp).
 */
export function ztMac(node: string, nwid: string): string {
  const n = BigInt(`0x${nwid}`);
  const byte = (shift: number) => Number((n >> BigInt(shift)) & 0xffn);
  let first = (byte(0) & 0xfe) | 0x02;
  if (first === 0x52) first = 0x32;
  const a = Buffer.from(node, 'hex');
  const x = [byte(8), byte(16), byte(24), byte(32), byte(40)];
  const out = [first, ...[...a].map((b, i) => b ^ x[i]!)];
  return out.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
