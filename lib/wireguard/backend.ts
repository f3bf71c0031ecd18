// One WireGuard code path above a small backend: kernel WireGuard over generic netlink where
// the module exists (the image), wireguard-go over its UAPI socket where it does not (these
// development machines). Callers create a device in the host's namespace (its UDP socket stays
// there, reachable on the node's addresses) and get it moved into the namespace it serves; then
// they sync it to a config: read, diff (lib/wireguard/diff.ts), write only the difference.
import type { NetnsRef } from '../netns.ts';
import type { UndoStack } from '../undo.ts';
import { diffConfig } from './diff.ts';
import { genlAvailable } from './genl.ts';
import type { WgChange, WgConfig, WgState } from './types.ts';

/** A device: its link name and the namespace the link is in now. */
export interface WgDeviceRef {
  readonly name: string;
  readonly netns: NetnsRef;
}

/** A device just made: wireguard-go's pid when the backend runs one; the change written when `config` was given. */
export interface WgCreated extends WgDeviceRef {
  readonly pid?: number;
  readonly change?: WgChange;
}

/** A device as it is born: no key, no port, no peers. */
export const NEW_DEVICE: WgState = { listenPort: 0, fwmark: 0, peers: [] };

/** The one write that makes a new device `config`. */
export const fullChange = (config: WgConfig): WgChange => diffConfig(config, NEW_DEVICE);

/** What create() makes: link `name` born in `host` (its UDP socket's namespace), moved into `target`. */
export interface WgCreateOptions {
  readonly name: string;
  readonly host: NetnsRef;
  readonly target: NetnsRef;
  /** The steps' undos (delete the device, move it back) are registered here. */
  readonly undo?: UndoStack;
  /**
   * Written (whole, one request) while the device is still in `host`, before or while it moves:
   * a new device then needs no request across namespaces (kernel WireGuard: in-process generic
   * netlink instead of a helper inside the target).
   */
  readonly config?: WgConfig;
  /**
   * Resolves once `target` exists (default: it exists now). The device is made and configured
   * in `host` meanwhile and moves after it: a namespace made beside the device costs it no wait.
   */
  readonly targetReady?: Promise<unknown>;
  /**
   * Called once the device exists in `host` (its wireguard-go started, or the kernel's link
   * made), before it is configured and moved: a caller holding its other children back until
   * the device's start is under way lets them go then.
   */
  readonly onStarted?: () => void;
}

/** The small interface both implementations give. */
export interface WgBackend {
  readonly kind: 'kernel' | 'userspace';
  /** Creates the device in `host` and moves it into `target` (down; configured when `config` is given). */
  create(o: WgCreateOptions): Promise<WgCreated>;
  /** The device's state as it reports it. */
  get(dev: WgDeviceRef): Promise<WgState>;
  /** Writes `change` in one request; an empty change writes nothing. True when it wrote. */
  apply(dev: WgDeviceRef, change: WgChange): Promise<boolean>;
  /** Removes the device (and stops its wireguard-go); a device that is gone is success. */
  delete(dev: WgDeviceRef): Promise<void>;
  /** get, diff and apply in one go where that saves a round trip (syncDevice uses it when given). */
  sync?(dev: WgDeviceRef, config: WgConfig): Promise<WgChange>;
}

/**
 * Makes `dev` configured as `config` (validated: types.ts validateWgConfig) with the minimal
 * change, in `wg syncconf`'s sense; returns the change (empty: nothing was written).
 */
export async function syncDevice(backend: WgBackend, dev: WgDeviceRef, config: WgConfig): Promise<WgChange> {
  if (backend.sync) return backend.sync(dev, config);
  const change = diffConfig(config, await backend.get(dev));
  await backend.apply(dev, change);
  return change;
}

/**
 * Whether kernel WireGuard is usable here: its generic netlink family resolves in this process's
 * namespace. It is asked for by name, which loads the module where it exists and is not loaded
 * yet (genl.ts genlSocket), so the question changes nothing in the kernel's links.
 */
export const kernelWireGuardAvailable = (): Promise<boolean> => genlAvailable();
