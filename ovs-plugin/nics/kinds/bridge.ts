// `bridge`: a veth whose host end is a port of an existing Linux bridge (`id`).
import { ValidationError } from '../../../lib/errors.ts';
import { getLink, ip } from '../../../lib/ip.ts';
import { SELF } from '../../../lib/netns.ts';
import { vethKind } from '../veth.ts';

/** The bridge kind. */
export const bridgeKind = vethKind({
  async prepare(_ctx, rec) {
    const br = String(rec.nic.id);
    const l = await getLink(SELF, br);
    if (!l) throw new ValidationError('nic.id', `no bridge ${br} on the host`);
    if (l.linkinfo?.info_kind !== 'bridge') throw new ValidationError('nic.id', `${br} is not a Linux bridge (kind ${l.linkinfo?.info_kind ?? 'none'})`);
    rec.bridge = br;
  },
  async plug(_ctx, rec) {
    await ip(SELF, ['link', 'set', 'dev', rec.host!, 'master', rec.bridge!]);
  },
  async unplug() { /* deleting the veth leaves the bridge */ },
  async checkPlug(_ctx, rec) {
    const l = await getLink(SELF, rec.host!);
    return l?.master === rec.bridge ? [] : [{ what: 'bridge', want: rec.bridge, got: l?.master ?? 'none', repairable: true }];
  },
  async replug(_ctx, rec) {
    await ip(SELF, ['link', 'set', 'dev', rec.host!, 'master', rec.bridge!]);
  },
});
