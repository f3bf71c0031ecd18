// Everything checked before the agent changes anything: the kernel command line, the zinit
// socket and config dir, the --nics names and the ip= device. Any failure here is bad input:
// a message naming it, exit 2, nothing touched (Zero-OS panics on a bad vlan value).
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { ValidationError } from '../lib/errors.ts';
import { listLinks } from '../lib/ip.ts';
import { SELF } from '../lib/netns.ts';
import { checkSocket, ZinitClient } from '../zinit/client.ts';
import type { CliOptions } from './cli.ts';
import { parseKernelCmdline, type KernelOptions } from './cmdline.ts';

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
  const links = new Set((await listLinks(SELF)).map((l) => l.ifname));
  for (const n of cli.nics ?? []) {
    if (!links.has(n)) throw new ValidationError('--nics', `no link named "${n}" in this network namespace`);
  }
  if (kernel.static && !links.has(kernel.static.device)) {
    throw new ValidationError('ip=', `device "${kernel.static.device}" does not exist`);
  }
  return { kernel, client, generation };
}
