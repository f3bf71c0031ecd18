// Whether a UDP port is free on the host: a bind probe (IPv6 dual-stack, else IPv4) closed at
// once, made before a new NR's WireGuard takes the port, so a port another process holds is
// refused with a clear error instead of a wireguard-go that fails to start.
import { createSocket, type SocketType } from 'node:dgram';
import { isAddressInUse } from '../../lib/errors.ts';

/**
 * Binds `port` on the wildcard of `type`; resolves true (bound and closed), false (in use) or undefined (another
 * failure: the family absent).
 */
function bindOnce(type: SocketType, port: number): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    const s = createSocket({ type, ...(type === 'udp6' ? { ipv6Only: false } : {}) });
    s.once('error', (e) => {
      s.close();
      resolve(isAddressInUse(e) ? false : undefined);
    });
    s.bind({ port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** True when UDP `port` is free in this process's namespace. */
export async function udpPortFree(port: number): Promise<boolean> {
  const v6 = await bindOnce('udp6', port);
  if (v6 !== undefined) return v6 && (await bindOnce('udp4', port)) !== false;
  return (await bindOnce('udp4', port)) !== false;
}
