// A zerotier nic's home directory, beside the state file (`<state dir>/zerotier/zt-<hex>`, the
// record's random hex: unique per attachment even where two plugins share the directory, as
// mkdir of the leaf fails on one that exists): the identity, `local.conf` (one UDP port, which is
// also its local API's; no port mapping, no TCP relay, no secondary port), `devicemap` (the TAP's
// name), `networks.d/<nwid>.conf` (joined at start) and the planet when one is configured.
// zerotier-one keeps it as its working directory; removing it forgets the member.
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../../../lib/log.ts';

/** What a member's home is made of (the identity's secret and the planet are never in the state file). */
export interface HomeFiles {
  /** `<node>:0:<public>:<private>`, as `zerotier-one -i generate` prints it. */
  secret: string;
  network: string;
  /** The TAP's name inside the target. */
  name: string;
  port: number;
  planet?: Buffer;
}

/** The directory of every member's home beside state file `statePath`. */
export const ztRoot = (statePath: string): string => join(dirname(statePath), 'zerotier');

/** The home of the attachment whose random hex is `hex`. */
export const homeFor = (statePath: string, hex: string): string => join(ztRoot(statePath), `zt-${hex}`);

/** True for a home named as homeFor names them, under this state file's root: only those are ever removed. */
export const isOurHome = (statePath: string, home: string): boolean =>
  dirname(home) === ztRoot(statePath) && /^zt-[0-9a-f]{10}$/.test(basename(home));

/** ZeroTier's local.conf: one UDP port (the API's too), nothing public. */
export const localConf = (port: number): string =>
  `${JSON.stringify({
    settings: { primaryPort: port, portMappingEnabled: false, allowTcpFallbackRelay: false, allowSecondaryPort: false },
  })}\n`;

/** Makes the home (mode 0700; the secret 0600); a home that exists already is an error (EEXIST). */
export async function makeHome(home: string, f: HomeFiles): Promise<void> {
  await mkdir(dirname(home), { recursive: true, mode: 0o700 });
  await mkdir(home, { mode: 0o700 });
  await chmod(home, 0o700);
  await writeFile(join(home, 'identity.secret'), `${f.secret}\n`, { mode: 0o600, flag: 'wx' });
  await writeFile(join(home, 'identity.public'), `${f.secret.split(':').slice(0, 3).join(':')}\n`, { flag: 'wx' });
  await writeFile(join(home, 'local.conf'), localConf(f.port), { flag: 'wx' });
  await writeFile(join(home, 'devicemap'), `${f.network}=${f.name}\n`, { flag: 'wx' });
  await mkdir(join(home, 'networks.d'), { mode: 0o700 });
  await writeFile(join(home, 'networks.d', `${f.network}.conf`), '', { flag: 'wx' });
  if (f.planet) await writeFile(join(home, 'planet'), f.planet, { flag: 'wx' });
}

/** Removes the home; one that is gone is success, a path not named as ours is left alone (logged). */
export async function removeHome(statePath: string, home: string, log: Logger): Promise<void> {
  if (!isOurHome(statePath, home)) {
    log.warn('zerotier-home-not-ours', { home });
    return;
  }
  await rm(home, { recursive: true, force: true });
}
