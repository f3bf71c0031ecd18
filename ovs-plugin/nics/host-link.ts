// Deleting the host link a record names (a veth's host end, a guest's tap) only when it is
// provably the one attach made: of the kind attach makes, and either named as attach names them
// (`nh`/`kt`/`nt` and 10 random hex digits) or carrying the MAC attach gave it. A record that names
// another link (a hand-edited or damaged state file: `eth0`, a bridge, someone's veth) makes
// detach and gc leave that link alone instead of deleting it.
import { getLink } from '../../lib/ip.ts';
import { deleteLinkIfExists } from '../../lib/link.ts';
import { SELF } from '../../lib/netns.ts';

/** Host link names attach generates: veth host ends (`nh`), taps (`kt`) and a tap's temporary name (`nt`). */
export const GENERATED_HOST_LINK = /^(nh|kt|nt)[0-9a-f]{10}$/;

/**
 * Deletes host link `name` if it is ours (kind `kind`; generated name or MAC `mac`); gone is success. True when it is
 * gone.
 */
export async function deleteHostLinkIfOurs(
  name: string,
  kind: 'veth' | 'tun' | readonly ('veth' | 'tun')[],
  mac?: string,
): Promise<boolean> {
  const l = await getLink(SELF, name);
  if (!l) return true;
  const kinds: readonly string[] = typeof kind === 'string' ? [kind] : kind;
  const ours =
    kinds.includes(l.linkinfo?.info_kind ?? '') &&
    (GENERATED_HOST_LINK.test(name) || (mac !== undefined && l.address === mac));
  if (!ours) return false;
  await deleteLinkIfExists(SELF, name);
  return true;
}
