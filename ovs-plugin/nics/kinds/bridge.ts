// `bridge`: a veth whose host end is a port of an existing Linux bridge (`id`).
import { ValidationError } from '../../../lib/errors.ts';
import { getLink } from '../../../lib/ip.ts';
import { SELF } from '../../../lib/netns.ts';
import { setLink } from '../../../lib/rtnl.ts';
import { vethKind, type VethPlug } from '../veth.ts';
import type { RecordOf } from '../types.ts';

/** The records whose host end is a port of a Linux bridge. */
type LinuxBridged = RecordOf<'bridge'> | RecordOf<'default'> | RecordOf<'network'>;

// In-process where rtnetlink is available (no child), else `ip`.
const enslave = (rec: LinuxBridged): Promise<void> => setLink(SELF, rec.host, { master: rec.bridge });

/** Plugging a host end into the Linux bridge `rec.bridge` (also the default kind's nat0). */
export const linuxBridgePlug: Omit<VethPlug<LinuxBridged>, 'prepare' | 'claim'> = {
  bridgeLink: (_ctx, rec) => rec.bridge,
  plug: async (_ctx, rec) => {
    await enslave(rec);
  },
  async unplug() {
    /* deleting the veth leaves the bridge */
  },
  async checkPlug(_ctx, rec) {
    const l = await getLink(SELF, rec.host);
    return l?.master === rec.bridge
      ? []
      : [{ what: 'bridge', want: rec.bridge, got: l?.master ?? 'none', repairable: true }];
  },
  replug: async (_ctx, rec) => {
    await enslave(rec);
  },
};

/** How a bridge nic's host end (veth or tap) is plugged. */
export const bridgePlug: VethPlug<RecordOf<'bridge'>> = {
  ...linuxBridgePlug,
  async prepare(_ctx, rec) {
    const br = String(rec.nic.id);
    const l = await getLink(SELF, br);
    if (!l) throw new ValidationError('nic.id', `no bridge ${br} on the host`);
    if (l.linkinfo?.info_kind !== 'bridge')
      throw new ValidationError('nic.id', `${br} is not a Linux bridge (kind ${l.linkinfo?.info_kind ?? 'none'})`);
    rec.bridge = br;
  },
};

/** The bridge kind. */
export const bridgeKind = vethKind(bridgePlug);
