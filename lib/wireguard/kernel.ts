// The kernel backend: `ip link add TMP type wireguard` in the host's namespace (the kernel
// keeps the UDP socket in the namespace the link was created in, whatever namespace the link
// moves to), moved into the target and renamed there (lib/link.ts moveLinkIn), configured over
// generic netlink (lib/wireguard/genl.ts). Generic netlink reaches the devices of this
// process's namespace only: get/apply on a device in another namespace fail with
// EWG_UNREACHABLE until a helper in that namespace carries the message (docs/overlay.md).
import { randomBytes } from 'node:crypto';
import { wgUnreachable } from '../errors.ts';
import { ip } from '../ip.ts';
import { deleteLinkIfExists, moveLinkIn } from '../link.ts';
import { isSelf, netnsLabel } from '../netns.ts';
import { withUndo } from '../undo.ts';
import type { WgBackend, WgCreated, WgCreateOptions, WgDeviceRef } from './backend.ts';
import { genlGet, genlSet } from './genl.ts';
import { isEmptyChange, type WgChange } from './types.ts';

/** Options of the kernel backend. */
export interface KernelOptions {
  /** Called with each change just before it is sent (tests count writes with it). */
  onWrite?: (device: string, change: WgChange) => void;
}

/** Fails unless `dev` is in this process's namespace (see the header). */
function here(dev: WgDeviceRef): void {
  if (!isSelf(dev.netns)) {
    throw wgUnreachable(dev.name, `generic netlink reaches this process's namespace only, the device is in ${netnsLabel(dev.netns)}`);
  }
}

/** The backend over kernel WireGuard. */
export function kernelBackend(o: KernelOptions = {}): WgBackend {
  return {
    kind: 'kernel',

    async create(c: WgCreateOptions): Promise<WgCreated> {
      const tmp = `wgt${randomBytes(6).toString('hex')}`;
      // Its own steps are undone here on failure; the caller's stack gets one undo: delete it.
      await withUndo(undefined, async (undo) => {
        await ip(c.host, ['link', 'add', 'dev', tmp, 'type', 'wireguard']);
        undo.push(`delete wireguard ${tmp}`, () => deleteLinkIfExists(c.host, tmp));
        await moveLinkIn({ from: c.host, name: tmp, to: c.target, as: c.name, undo });
      });
      c.undo?.push(`delete wireguard ${c.name}`, () => deleteLinkIfExists(c.target, c.name));
      return { name: c.name, netns: c.target };
    },

    async get(dev: WgDeviceRef) {
      here(dev);
      return genlGet(dev.name);
    },

    async apply(dev: WgDeviceRef, change: WgChange): Promise<boolean> {
      if (isEmptyChange(change)) return false;
      here(dev);
      o.onWrite?.(dev.name, change);
      await genlSet(dev.name, change);
      return true;
    },

    async delete(dev: WgDeviceRef): Promise<void> {
      await deleteLinkIfExists(dev.netns, dev.name);
    },
  };
}
