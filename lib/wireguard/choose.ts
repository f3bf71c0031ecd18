// Which WireGuard backend a node uses: the kernel's where it has WireGuard (the image), else
// wireguard-go (these development machines, whose kernel has no wireguard module).
import type { NetnsRef } from '../netns.ts';
import { kernelWireGuardAvailable, type WgBackend } from './backend.ts';
import { kernelBackend, type KernelOptions } from './kernel.ts';
import { userspaceBackend, type UserspaceOptions } from './userspace.ts';

/** The kernel backend when WireGuard works in `host`, else the wireguard-go one. */
export async function chooseBackend(
  host: NetnsRef,
  o: { kernel?: KernelOptions; userspace?: UserspaceOptions } = {},
): Promise<WgBackend> {
  return (await kernelWireGuardAvailable(host)) ? kernelBackend(o.kernel) : userspaceBackend(o.userspace);
}
