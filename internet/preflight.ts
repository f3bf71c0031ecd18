// Everything checked before the agent changes anything: the kernel command line, the zinit
// socket and config dir, the status dir, the --nics names, the zos.nic pin and the ip= device. Any failure here is bad
// input:
// a message naming it, exit 2, nothing touched (Zero-OS panics on a bad vlan value).
import { constants } from 'node:fs';
import { access, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Code, toAppError, ValidationError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { IpLink } from '../lib/ip.ts';
import { listLinksFast } from '../lib/rtnl.ts';
import { SELF } from '../lib/netns.ts';
import { waitForSocket, ZinitClient } from '../zinit/client.ts';
import { dhcpClient } from '../lib/tools.ts';
import type { CliOptions } from './cli.ts';
import { parseKernelCmdline, type KernelOptions } from './cmdline.ts';
import { notEthernet, pinMatches, selectLinks } from './discover/candidates.ts';
import { isMac } from '../lib/validate.ts';

/** What the run needs once its input is known good. */
export interface Preflight {
  kernel: KernelOptions;
  client: ZinitClient;
  generation: 1 | 2;
  /** The links the input was checked against: the first discovery starts from them. */
  links: IpLink[];
}

/**
 * Reads and checks all input, waiting up to `zinitWaitMs` for zinit's socket; throws ValidationError or ZinitError
 * naming what is wrong.
 */
export async function preflight(
  cli: CliOptions,
  zinitWaitMs: number,
  o: { log?: Logger; signal?: AbortSignal } = {},
): Promise<Preflight> {
  let text: string;
  try {
    text = await readFile(cli.cmdline, 'utf8');
  } catch (err) {
    throw new ValidationError(
      '--cmdline',
      `cannot read ${cli.cmdline}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  const kernel = parseKernelCmdline(text);
  // The probe and dhcp-zos run the same client (tools.ts): resolve it now, beside the checks;
  // a missing one is said at once (the v4 probes miss, and the hand-off retries, saying why).
  void dhcpClient().catch((err: unknown) =>
    o.log?.warn('dhcp-client-missing', { code: toAppError(err).code, error: toAppError(err).message }),
  );
  // zinit v0.2.14 starts its units before it binds its socket: a socket that is not there yet
  // is waited for (bounded). One still missing after that, or one that is not zinit's, means a
  // wrong --zinit-socket, and configuring a network we could not hand over would only hide
  // that: stop before touching anything.
  const client = new ZinitClient(cli.zinitSocket);
  const waitMs = zinitWaitMs;
  const t0 = Date.now();
  let waited = false;
  const generation = await waitForSocket(
    cli.zinitSocket,
    {
      timeoutMs: waitMs,
      signal: o.signal,
      onWait: (err) => {
        waited = true;
        o.log?.info('zinit-socket-wait', { path: cli.zinitSocket, why: err.details.errno, upToMs: waitMs });
      },
    },
    client,
  );
  if (waited) o.log?.info('zinit-socket-ready', { path: cli.zinitSocket, waitedMs: Date.now() - t0 });
  try {
    if (!(await stat(cli.zinitDir)).isDirectory()) throw new Error('not a directory');
    await access(cli.zinitDir, constants.W_OK);
  } catch (err) {
    throw new ValidationError(
      '--zinit-dir',
      `${cli.zinitDir} is not a writable directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  // The probe script and dhcp-zos's hook go beside the status file: a directory we cannot
  // write would fail every discovery attempt, forever.
  const runDir = dirname(cli.status);
  try {
    await mkdir(runDir, { recursive: true });
    await access(runDir, constants.W_OK);
  } catch (err) {
    throw new ValidationError(
      '--status',
      `${runDir} is not a writable directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  const links = await listLinksFast(SELF);
  for (const w of checkLinks(cli, kernel, links)) o.log?.warn('nic-absent', { message: w });
  return { kernel, client, generation, links };
}

/**
 * The links the input names must exist here and agree, or discovery would retry them forever:
 * every `--nics` name and the `zos.nic` pin (as discovery selects them, candidates.ts), the
 * `ip=` device (among `--nics`, and the pinned NIC when both are given). Returns warnings for
 * what may still come: without `--nics`, a pin or `ip=` device that matches no link at all may
 * be a NIC whose driver is still probing (or a hot-plug): refusing it would leave the node
 * offline for good (zinit never reruns a failed oneshot), so discovery waits for it, retrying,
 * its status saying why. A link that exists and can never serve is still refused.
 */
export function checkLinks(cli: Pick<CliOptions, 'nics'>, kernel: KernelOptions, links: IpLink[]): string[] {
  for (const n of cli.nics ?? []) {
    if (!links.some((l) => l.ifname === n))
      throw new ValidationError('--nics', `no link named "${n}" in this network namespace`);
  }
  const dev = kernel.static?.device;
  const mayAppear = cli.nics === undefined;
  if (dev === undefined) {
    if (mayAppear && kernel.pin !== undefined && !links.some((l) => pinMatches(l, kernel.pin!))) {
      return [`zos.nic: no link is ${JSON.stringify(kernel.pin)} yet: waiting for it`];
    }
    try {
      selectLinks(links, { nics: cli.nics, pin: kernel.pin });
    } catch (err) {
      // Discovery waits for a NIC that is not there (yet): ENONIC. Named on the command line and
      // absent before anything started, it is bad input.
      const e = toAppError(err);
      if (e.code === Code.ENONIC && typeof e.details.field === 'string')
        throw new ValidationError(e.details.field, e.message.replace(/^\S+: /, ''));
      throw err;
    }
    return [];
  }
  if (mayAppear && !links.some((l) => l.ifname === dev)) {
    if (kernel.pin !== undefined && kernel.pin !== dev && !isMac(kernel.pin))
      throw new ValidationError('ip=', `device "${dev}" contradicts zos.nic=${kernel.pin}`);
    return [`ip=: device "${dev}" does not exist yet: waiting for it`];
  }
  const link = links.find((l) => l.ifname === dev);
  if (!link) throw new ValidationError('ip=', `device "${dev}" does not exist`);
  notEthernet('ip=', link);
  if (cli.nics && !cli.nics.includes(dev))
    throw new ValidationError('ip=', `device "${dev}" is not one of --nics ${cli.nics.join(',')}`);
  if (kernel.pin !== undefined && kernel.pin !== dev && link.address?.toLowerCase() !== kernel.pin) {
    throw new ValidationError('ip=', `device "${dev}" contradicts zos.nic=${kernel.pin}`);
  }
  return [];
}
