// Which WireGuard backend a node uses: the kernel's where it has WireGuard (the image), else
// wireguard-go (these development machines, whose kernel has no wireguard module).
import { kernelWireGuardAvailable, type WgBackend } from './backend.ts';
import { kernelBackend, type KernelOptions } from './kernel.ts';
import { userspaceBackend, type UserspaceOptions } from './userspace.ts';

/** The kernel backend when WireGuard works here (this process's namespace), else the wireguard-go one. */
export async function chooseBackend(
  o: { kernel?: KernelOptions; userspace?: UserspaceOptions } = {},
): Promise<WgBackend> {
  return (await kernelWireGuardAvailable()) ? kernelBackend(o.kernel) : userspaceBackend(o.userspace);
}
