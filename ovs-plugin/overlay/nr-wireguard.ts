// The NR's WireGuard device `w-<netid>`: the config its document asks for (every peer with
// PersistentKeepalive 20 s, as Zero-OS; a peer without endpoint keeps the one WireGuard learned:
// lib/wireguard/diff.ts), and the backend, chosen once per process (lib/wireguard/choose.ts):
// kernel WireGuard where the module exists (the image), wireguard-go where it does not.
// The kernel's generic netlink reaches only the devices of the caller's own namespace and Node
// cannot setns, so for a device in `n-<netid>` the kernel backend sends each request to this
// program run inside it: `nsenter --net=/run/netns/n-<netid> <node> <bundle> wg-genl`, a JSON
// request on stdin, the answer on stdout (lib/wireguard/genl-runner.ts, genl-remote.ts). <node> is
// process.execPath and <bundle> process.argv[1] (dist/ovs-plugin.js when run from dist/).
import type { WgBackend, WgDeviceRef } from '../../lib/wireguard/backend.ts';
import { chooseBackend } from '../../lib/wireguard/choose.ts';
import type { GenlAnswer, GenlRequest } from '../../lib/wireguard/genl-remote.ts';
import { validateWgConfig, type WgConfig } from '../../lib/wireguard/types.ts';
import { wgBadAnswer } from '../../lib/errors.ts';
import type { NetworkDocument } from './document.ts';
import { nsenterRunner } from '../../lib/wireguard/genl-runner.ts';

/** Seconds of keepalive every peer gets (the document has no field; Zero-OS uses 20). */
export const KEEPALIVE_S = 20;

/** The device config of document `doc` (canonical: lib/wireguard/types.ts validateWgConfig). */
export function desiredWgConfig(doc: NetworkDocument): WgConfig {
  return validateWgConfig(
    {
      privateKey: doc.wireguard_private_key,
      listenPort: doc.wireguard_listen_port,
      peers: doc.peers.map((p) => ({
        publicKey: p.wireguard_public_key,
        allowedIps: [...p.allowed_ips],
        persistentKeepalive: KEEPALIVE_S,
        ...(p.endpoint ? { endpoint: p.endpoint } : {}),
      })),
    },
    'network',
  );
}

/**
 * Carries a request to this program run inside the device's namespace (see the header): the
 * plugin's own bundle, `process.argv[1]` (dist/ovs-plugin.js, or /usr/lib/zos/ovs-plugin.js in
 * the image), with `wg-genl` (lib/wireguard/genl-runner.ts).
 */
const genlRunner = (dev: WgDeviceRef, req: GenlRequest): Promise<GenlAnswer> => {
  const bundle = process.argv[1];
  if (!bundle) throw wgBadAnswer(dev.name, 'no program path (process.argv[1]) to run inside the namespace');
  return nsenterRunner([process.execPath, bundle], { timeoutMs: 60_000 })(dev, req);
};

let chosen: Promise<WgBackend> | undefined;

/** This process's backend, chosen on first use. */
export const nrBackend = (): Promise<WgBackend> => (chosen ??= chooseBackend({ kernel: { remote: genlRunner } }));

/** Sets the backend (tests: one that counts writes). */
export function setNrBackend(b: WgBackend): void {
  chosen = Promise.resolve(b);
}
