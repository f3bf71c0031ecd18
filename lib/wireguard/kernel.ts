// The kernel backend: `ip link add TMP type wireguard` in the host's namespace (the kernel
// keeps the UDP socket in the namespace the link was created in, whatever namespace the link
// moves to), configured there when the caller gives the config (in-process: no helper), moved
// into the target and renamed there (lib/link.ts moveLinkIn). Configured over generic netlink
// (lib/wireguard/genl.ts), which reaches the devices of this process's namespace only: a
// device in another namespace is reached through the owner's `remote` runner (genl-remote.ts),
// else it is EWG_UNREACHABLE (docs/overlay.md).
import { randomBytes } from 'node:crypto';
import { wgBadAnswer, wgUnreachable } from '../errors.ts';
import { ip } from '../ip.ts';
import { deleteLinkIfExists, moveLinkIn } from '../link.ts';
import { isSelf, netnsLabel } from '../netns.ts';
import { withUndo } from '../undo.ts';
import { fullChange, type WgBackend, type WgCreated, type WgCreateOptions, type WgDeviceRef } from './backend.ts';
import { genlGet, genlSet } from './genl.ts';
import { answerError, stateFromJson, type GenlAnswer, type GenlRequest } from './genl-remote.ts';
import { parseChange } from './genl-runner.ts';
import { diffConfig } from './diff.ts';
import { isEmptyChange, type WgChange, type WgConfig, type WgState } from './types.ts';

/** Options of the kernel backend. */
export interface KernelOptions {
  /**
   * Carries a request for a device in another namespace to a process inside it, which answers
   * with serveGenlRequest (genl-remote.ts). Without it such devices are EWG_UNREACHABLE.
   */
  remote?: (dev: WgDeviceRef, req: GenlRequest) => Promise<GenlAnswer>;
  /**
   * Called with each change just before it is sent (tests count writes with it); a sync through
   * the runner reports the change its helper wrote, after it.
   */
  onWrite?: (device: string, change: WgChange) => void;
}

/** `req` carried to the owner's runner (a device in another namespace); a failed answer is thrown. */
async function remote(
  o: KernelOptions,
  dev: WgDeviceRef,
  req: GenlRequest,
): Promise<Extract<GenlAnswer, { ok: true }>> {
  if (!o.remote)
    throw wgUnreachable(
      dev.name,
      `generic netlink reaches this process's namespace only, the device is in ${netnsLabel(dev.netns)}`,
    );
  const a = await o.remote(dev, req);
  if (!a.ok) throw answerError(dev.name, a);
  return a;
}

/** Writes `change` to `dev`: here, or through the runner. */
async function write(o: KernelOptions, dev: WgDeviceRef, change: WgChange): Promise<void> {
  o.onWrite?.(dev.name, change);
  if (isSelf(dev.netns)) await genlSet(dev.name, change);
  else await remote(o, dev, { op: 'set', name: dev.name, change });
}

/** The change a sync answer says it wrote, checked (the runner's process is trusted with nothing). */
function answeredChange(dev: WgDeviceRef, v: unknown): WgChange {
  if (v === undefined) throw wgBadAnswer(dev.name, 'the helper answered a sync without the change');
  try {
    return parseChange('change', v);
  } catch (err) {
    throw wgBadAnswer(dev.name, `the helper answered a sync with a bad change: ${(err as Error).message}`);
  }
}

/** The backend over kernel WireGuard. */
export function kernelBackend(o: KernelOptions = {}): WgBackend {
  return {
    kind: 'kernel',

    async create(c: WgCreateOptions): Promise<WgCreated> {
      const tmp = `wgt${randomBytes(6).toString('hex')}`;
      const change = c.config ? fullChange(c.config) : undefined;
      // Its own steps are undone here on failure; the caller's stack gets one undo: delete it.
      await withUndo(undefined, async (undo) => {
        await ip(c.host, ['link', 'add', 'dev', tmp, 'type', 'wireguard']);
        undo.push(`delete wireguard ${tmp}`, () => deleteLinkIfExists(c.host, tmp));
        c.onStarted?.();
        if (change) await write(o, { name: tmp, netns: c.host }, change);
        await c.targetReady;
        await moveLinkIn({ from: c.host, name: tmp, to: c.target, as: c.name, undo });
      });
      c.undo?.push(`delete wireguard ${c.name}`, () => deleteLinkIfExists(c.target, c.name));
      return { name: c.name, netns: c.target, ...(change ? { change } : {}) };
    },

    async get(dev: WgDeviceRef): Promise<WgState> {
      if (isSelf(dev.netns)) return genlGet(dev.name);
      const a = await remote(o, dev, { op: 'get', name: dev.name });
      if (!a.state) throw wgBadAnswer(dev.name, 'the helper answered a get without a state');
      return stateFromJson(a.state);
    },

    async apply(dev: WgDeviceRef, change: WgChange): Promise<boolean> {
      if (isEmptyChange(change)) return false;
      await write(o, dev, change);
      return true;
    },

    // Across namespaces one helper reads, diffs and writes (get then apply would start two).
    async sync(dev: WgDeviceRef, config: WgConfig): Promise<WgChange> {
      if (isSelf(dev.netns)) {
        const change = diffConfig(config, await genlGet(dev.name));
        if (!isEmptyChange(change)) await write(o, dev, change);
        return change;
      }
      const change = answeredChange(dev, (await remote(o, dev, { op: 'sync', name: dev.name, config })).change);
      if (!isEmptyChange(change)) o.onWrite?.(dev.name, change);
      return change;
    },

    async delete(dev: WgDeviceRef): Promise<void> {
      await deleteLinkIfExists(dev.netns, dev.name);
    },
  };
}
