// ovs.vxlan-ensure / ovs.vxlan-del / ovs.vtep-ensure / ovs.vtep-del: their arguments and help;
// the VXLAN planners (planners/vxlan.ts) and the kernel device (vtep.ts) do the work.
import { parseVni } from '../../lib/validate.ts';
import { argsOf, parseIpList, usageOf } from '../validate.ts';
import { ARGS } from './wire.ts';
import { deleteVtep, ensureVtep, vtepName, withVniLock } from '../vtep.ts';
import { busy } from '../planners/errors.ts';
import { parseOptCallerName, parseOptRefName, parseRefName } from '../planners/names.ts';
import { View } from '../planners/view.ts';
import { deleteVxlan, ensureVxlan, type VxlanArgs } from '../planners/vxlan.ts';
import type { RunCommand } from './types.ts';

/** ovs.vxlan-ensure {master, vxlan, name?, remotes?} -> name of the VXLAN bridge. */
export const vxlanEnsure: RunCommand<VxlanArgs, string> = {
  mode: 'run',
  usage: usageOf(
    ARGS['ovs.vxlan-ensure'],
    'Ensure kernel device vtep<vni> on the master, plugged into a VXLAN bridge; returns the bridge name.',
    { master: 'vxbackend', vxlan: 1000 },
  ),
  validate(raw) {
    const o = argsOf(raw, ARGS['ovs.vxlan-ensure']);
    const vxlan = parseVni('vxlan', o.vxlan);
    return {
      master: parseRefName('master', o.master),
      vxlan,
      name: parseOptCallerName('name', o.name),
      remotes: parseIpList('remotes', o.remotes),
    };
  },
  run: (a, ctx) => ensureVxlan(a, ctx),
};

/**
 * ovs.vxlan-del {vxlan, name?, master?} -> null: removes our bridge (or our port from an adopted one), then the kernel
 * device; gone is success.
 */
export const vxlanDel: RunCommand<VxlanArgs, null> = {
  mode: 'run',
  usage: usageOf(
    ARGS['ovs.vxlan-del'],
    'Remove what vxlan-ensure added (bridge or our port, then vtep<vni>); gone is success; returns null.',
    { vxlan: 1000 },
  ),
  validate(raw) {
    const o = argsOf(raw, ARGS['ovs.vxlan-del']);
    const vxlan = parseVni('vxlan', o.vxlan);
    const master = parseOptRefName('master', o.master);
    return { master, vxlan, name: parseOptCallerName('name', o.name) };
  },
  run: (a, ctx) => deleteVxlan(a, ctx),
};

interface VtepArgs {
  bridge?: string;
  vnid: number;
}

/** ovs.vtep-ensure {bridge (the underlay link), vnid} -> "vtep<vnid>". */
export const vtepEnsure: RunCommand<VtepArgs, string> = {
  mode: 'run',
  usage: usageOf(
    ARGS['ovs.vtep-ensure'],
    'Ensure the kernel VXLAN device vtep<vnid> on an underlay link; returns "vtep<vnid>".',
    { bridge: 'vxbackend', vnid: 1000 },
  ),
  validate(raw) {
    const o = argsOf(raw, ARGS['ovs.vtep-ensure']);
    return { bridge: parseRefName('bridge', o.bridge), vnid: parseVni('vnid', o.vnid) };
  },
  run: (a) => withVniLock(a.vnid, async () => (await ensureVtep({ vni: a.vnid, master: a.bridge! })).name),
};

/** ovs.vtep-del {vnid} -> null; refuses while the device is still an OVS port (use vxlan-del). */
export const vtepDel: RunCommand<VtepArgs, null> = {
  mode: 'run',
  usage: usageOf(
    ARGS['ovs.vtep-del'],
    'Delete vtep<vnid> unless it is an OVS port (use vxlan-del); gone is success; returns null.',
    { vnid: 1000 },
  ),
  validate(raw) {
    const o = argsOf(raw, ARGS['ovs.vtep-del']);
    return { vnid: parseVni('vnid', o.vnid) };
  },
  run: (a, ctx) =>
    withVniLock(a.vnid, async () => {
      const port = new View(ctx.client.cache).byName('Port', vtepName(a.vnid));
      if (port) throw busy(`${vtepName(a.vnid)} is an OVS port; use vxlan-del`, { link: vtepName(a.vnid) });
      await deleteVtep(a.vnid);
      return null;
    }),
};
