// ovs.vxlan-ensure / ovs.vxlan-del / ovs.vtep-ensure / ovs.vtep-del: their arguments and help;
// the VXLAN planners (planners/vxlan.ts) and the kernel device (vtep.ts) do the work.
import { parseVni } from '../../lib/validate.ts';
import { argsOf, parseIpList } from '../validate.ts';
import { deleteVtep, ensureVtep, vtepName, withVniLock } from '../vtep.ts';
import { busy } from '../planners/errors.ts';
import { parseOptCallerName, parseOptRefName, parseRefName } from '../planners/names.ts';
import { View } from '../planners/view.ts';
import { deleteVxlan, ensureVxlan, type VxlanArgs } from '../planners/vxlan.ts';
import type { RunCommand } from './types.ts';

/** ovs.vxlan-ensure {master, vxlan, name?, remotes?} -> name of the VXLAN bridge. */
export const vxlanEnsure: RunCommand<VxlanArgs, string> = {
  mode: 'run',
  usage: {
    summary: 'Ensure kernel device vtep<vni> on the master, plugged into a VXLAN bridge; returns the bridge name.',
    args: [
      { name: 'master', required: true, type: 'name', doc: 'the underlay bridge (an OVS bridge that is a link)' },
      { name: 'vxlan', required: true, type: '1..16777215', doc: 'the VNI' },
      { name: 'name', type: 'name', doc: 'the VXLAN bridge (default vxlbr<vni>)' },
      { name: 'remotes', type: '[IP, ...]', doc: 'unicast peers of one family instead of the multicast group' },
    ],
    example: { master: 'vxbackend', vxlan: 1000 },
  },
  validate(raw) {
    const o = argsOf(raw, vxlanEnsure.usage.args);
    const vxlan = parseVni('vxlan', o.vxlan);
    return { master: parseRefName('master', o.master), vxlan, name: parseOptCallerName('name', o.name), remotes: parseIpList('remotes', o.remotes) };
  },
  run: (a, ctx) => ensureVxlan(a, ctx),
};

/** ovs.vxlan-del {vxlan, name?, master?} -> null: removes our bridge (or our port from an adopted one), then the kernel device; gone is success. */
export const vxlanDel: RunCommand<VxlanArgs, null> = {
  mode: 'run',
  usage: {
    summary: 'Remove what vxlan-ensure added (bridge or our port, then vtep<vni>); gone is success; returns null.',
    args: [
      { name: 'vxlan', required: true, type: '1..16777215', doc: 'the VNI' },
      { name: 'master', type: 'name', doc: 'the underlay bridge (unused; v1 symmetry)' },
      { name: 'name', type: 'name', doc: 'the VXLAN bridge it must be' },
    ],
    example: { vxlan: 1000 },
  },
  validate(raw) {
    const o = argsOf(raw, vxlanDel.usage.args);
    const vxlan = parseVni('vxlan', o.vxlan);
    const master = parseOptRefName('master', o.master);
    return { master, vxlan, name: parseOptCallerName('name', o.name) };
  },
  run: (a, ctx) => deleteVxlan(a, ctx),
};

interface VtepArgs { bridge?: string; vnid: number }

/** ovs.vtep-ensure {bridge (the underlay link), vnid} -> "vtep<vnid>". */
export const vtepEnsure: RunCommand<VtepArgs, string> = {
  mode: 'run',
  usage: {
    summary: 'Ensure the kernel VXLAN device vtep<vnid> on an underlay link; returns "vtep<vnid>".',
    args: [
      { name: 'bridge', required: true, type: 'name', doc: 'the underlay link' },
      { name: 'vnid', required: true, type: '1..16777215', doc: 'the VNI' },
    ],
    example: { bridge: 'vxbackend', vnid: 1000 },
  },
  validate(raw) {
    const o = argsOf(raw, vtepEnsure.usage.args);
    return { bridge: parseRefName('bridge', o.bridge), vnid: parseVni('vnid', o.vnid) };
  },
  run: (a) => withVniLock(a.vnid, async () => (await ensureVtep({ vni: a.vnid, master: a.bridge! })).name),
};

/** ovs.vtep-del {vnid} -> null; refuses while the device is still an OVS port (use vxlan-del). */
export const vtepDel: RunCommand<VtepArgs, null> = {
  mode: 'run',
  usage: {
    summary: 'Delete vtep<vnid> unless it is an OVS port (use vxlan-del); gone is success; returns null.',
    args: [{ name: 'vnid', required: true, type: '1..16777215', doc: 'the VNI' }],
    example: { vnid: 1000 },
  },
  validate(raw) {
    const o = argsOf(raw, vtepDel.usage.args);
    return { vnid: parseVni('vnid', o.vnid) };
  },
  run: (a, ctx) => withVniLock(a.vnid, async () => {
    const port = new View(ctx.client.cache).byName('Port', vtepName(a.vnid));
    if (port) throw busy(`${vtepName(a.vnid)} is an OVS port; use vxlan-del`, { link: vtepName(a.vnid) });
    await deleteVtep(a.vnid);
    return null;
  }),
};
