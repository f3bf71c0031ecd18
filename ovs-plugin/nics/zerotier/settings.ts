// What a zerotier nic needs of the node, asked when one is attached (the settings were read and
// checked for their form at start, ovs-plugin/settings.ts): zerotier-one (ZEROTIER_ONE, else on
// PATH; none: the kind is refused with EUNSUPPORTED, never a crash) and the planet
// (ZEROTIER_PLANET: a file that cannot be read is EINVALID naming the setting).
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { errnoOf, ValidationError } from '../../../lib/errors.ts';
import { which } from '../../../lib/tools.ts';
import { unsupported } from '../errors.ts';
import type { NicSettings } from '../types.ts';

/** zerotier-one's path, or undefined when there is none to run. */
export async function findZerotierOne(s: Pick<NicSettings, 'zerotierOne'>): Promise<string | undefined> {
  if (!s.zerotierOne) return which('zerotier-one');
  try {
    if (!(await stat(s.zerotierOne)).isFile()) return undefined;
    await access(s.zerotierOne, constants.X_OK);
    return s.zerotierOne;
  } catch (err) {
    if (errnoOf(err) === undefined) throw err;
    return undefined;
  }
}

/** zerotier-one's path; EUNSUPPORTED (nic.type) saying why there is none. */
export async function requireZerotierOne(s: Pick<NicSettings, 'zerotierOne'>): Promise<string> {
  const bin = await findZerotierOne(s);
  if (bin) return bin;
  throw unsupported(
    'nic.type',
    s.zerotierOne
      ? `zerotier nics need zerotier-one: ZEROTIER_ONE=${s.zerotierOne} is not an executable file`
      : 'zerotier nics need zerotier-one: ZEROTIER_ONE is unset and there is none on PATH',
  );
}

/** The planet's bytes (undefined: ZeroTier's own roots); EINVALID naming ZEROTIER_PLANET when it cannot be read. */
export async function readPlanet(s: Pick<NicSettings, 'zerotierPlanet'>): Promise<Buffer | undefined> {
  if (!s.zerotierPlanet) return undefined;
  try {
    const b = await readFile(s.zerotierPlanet);
    if (b.length === 0 || b.length > 65536) throw new Error(`${b.length} bytes is no planet`);
    return b;
  } catch (err) {
    if (errnoOf(err) === undefined && !(err instanceof Error && err.message.endsWith('no planet'))) throw err;
    throw new ValidationError(
      'ZEROTIER_PLANET',
      `${s.zerotierPlanet} cannot be read as a planet (${errnoOf(err) ?? (err as Error).message})`,
    );
  }
}
