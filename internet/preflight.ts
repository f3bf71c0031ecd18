// Everything checked before the agent changes anything: the kernel command line, the zinit
// socket and config dir, the status dir, the --nics names, the zos.nic pin and the ip= device. Any failure here is bad input:
// a message naming it, exit 2, nothing touched (Zero-OS panics on a bad vlan value).
import { constants } from 'node:fs';
import { access, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Code, toAppError, ValidationError } from '../lib/errors.ts';
import { listLinks, type IpLink } from '../lib/ip.ts';
import { SELF } from '../lib/netns.ts';
import { checkSocket, ZinitClient } from '../zinit/client.ts';
import type { CliOptions } from './cli.ts';
import { parseKernelCmdline, type KernelOptions } from './cmdline.ts';
import { notEthernet, selectLinks } from './discover/candidates.ts';

/** What the run needs once its input is known good. */
export interface Preflight {
  kernel: KernelOptions;
  client: ZinitClient;
  generation: 1 | 2;
}

/** Reads and checks all input; throws ValidationError or ZinitError naming what is wrong. */
export async function preflight(cli: CliOptions): Promise<Preflight> {
  let text: string;
  try {
    text = await readFile(cli.cmdline, 'utf8');
  } catch (err) {
    throw new ValidationError('--cmdline', `cannot read ${cli.cmdline}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const kernel = parseKernelCmdline(text);
  // zinit serves its socket before it starts any unit, so under zinit it is always there: a
  // missing or dead socket means a wrong --zinit-socket, and configuring a network we could not
  // hand over would only hide that. Stop before touching anything.
  const client = new ZinitClient(cli.zinitSocket);
  const generation = await checkSocket(cli.zinitSocket, 3000, client);
  try {
    if (!(await stat(cli.zinitDir)).isDirectory()) throw new Error('not a directory');
    await access(cli.zinitDir, constants.W_OK);
  } catch (err) {
    throw new ValidationError('--zinit-dir', `${cli.zinitDir} is not a writable directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  // The probe script and dhcp-zos's hook go beside the status file: a directory we cannot
  // write would fail every discovery attempt, forever.
  const runDir = dirname(cli.status);
  try {
    await mkdir(runDir, { recursive: true });
    await access(runDir, constants.W_OK);
  } catch (err) {
    throw new ValidationError('--status', `${runDir} is not a writable directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  checkLinks(cli, kernel, await listLinks(SELF));
  return { kernel, client, generation };
}

/**
 * The links the input names must exist here and agree, or discovery would retry them forever:
 * every `--nics` name and the `zos.nic` pin (as discovery selects them, candidates.ts), the
 * `ip=` device (among `--nics`, and the pinned NIC when both are given).
 */
export function checkLinks(cli: Pick<CliOptions, 'nics'>, kernel: KernelOptions, links: IpLink[]): void {
  for (const n of cli.nics ?? []) {
    if (!links.some((l) => l.ifname === n)) throw new ValidationError('--nics', `no link named "${n}" in this network namespace`);
  }
  const dev = kernel.static?.device;
  if (dev === undefined) {
    try {
      selectLinks(links, { nics: cli.nics, pin: kernel.pin });
    } catch (err) {
      // Discovery waits for a NIC that is not there (yet): ENONIC. Named on the command line and
      // absent before anything started, it is bad input.
      const e = toAppError(err);
      if (e.code === Code.ENONIC && typeof e.details.field === 'string') throw new ValidationError(e.details.field, e.message.replace(/^\S+: /, ''));
      throw err;
    }
    return;
  }
  const link = links.find((l) => l.ifname === dev);
  if (!link) throw new ValidationError('ip=', `device "${dev}" does not exist`);
  notEthernet('ip=', link);
  if (cli.nics && !cli.nics.includes(dev)) throw new ValidationError('ip=', `device "${dev}" is not one of --nics ${cli.nics.join(',')}`);
  if (kernel.pin !== undefined && kernel.pin !== dev && link.address?.toLowerCase() !== kernel.pin) {
    throw new ValidationError('ip=', `device "${dev}" contradicts zos.nic=${kernel.pin}`);
  }
}
