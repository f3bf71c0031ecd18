// Command-line flags of `internet` (an interface: the zinit unit, tests and operators rely on them):
//   internet [run] [--nics a,b] [--cmdline FILE] [--zinit-socket PATH] [--zinit-dir DIR] [--status FILE]
//   internet status [--status FILE]
//   internet help | --help | -h
import { ValidationError } from '../lib/errors.ts';
import { parseLinkName } from '../lib/validate.ts';
import { kernelKeysHelp } from './cmdline.ts';
import { settingsHelp, type InternetSettings } from './settings.ts';

/** Defaults of a real boot under zinit. */
export const DEFAULTS = {
  cmdline: '/proc/cmdline',
  zinitSocket: '/var/run/zinit.sock',
  zinitDir: '/etc/zinit',
  status: '/run/internet/status.json',
} as const;

/** Parsed command line of the agent. */
export interface CliOptions {
  command: 'run' | 'status' | 'help';
  nics?: string[];
  cmdline: string;
  zinitSocket: string;
  zinitDir: string;
  status: string;
  /** Where DNS servers go (INTERNET_RESOLV_CONF, settings.ts). */
  resolvConf: string;
}

const RUN_FLAGS = ['--nics', '--cmdline', '--zinit-socket', '--zinit-dir', '--status'];
const STATUS_FLAGS = ['--status'];

/** Parses argv (without node and script) with the settings read at start; throws ValidationError naming the flag. */
export function parseCli(argv: readonly string[], settings: Pick<InternetSettings, 'resolvConf'>): CliOptions {
  const args = [...argv];
  if (args[0] === 'help' || args.includes('--help') || args.includes('-h')) {
    return {
      command: 'help',
      cmdline: DEFAULTS.cmdline,
      zinitSocket: DEFAULTS.zinitSocket,
      zinitDir: DEFAULTS.zinitDir,
      status: DEFAULTS.status,
      resolvConf: settings.resolvConf,
    };
  }
  let command: CliOptions['command'] = 'run';
  if (args[0] === 'run' || args[0] === 'status') command = args.shift() as CliOptions['command'];
  const allowed = command === 'run' ? RUN_FLAGS : STATUS_FLAGS;
  const values = new Map<string, string>();
  while (args.length) {
    const a = args.shift()!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    if (!allowed.includes(flag)) {
      const what = a.startsWith('-') ? `unknown flag for "${command}"` : 'unexpected argument';
      throw new ValidationError(flag, `${what} (allowed: ${allowed.join(' ')})`);
    }
    const value = eq > 0 ? a.slice(eq + 1) : args.shift();
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) {
      throw new ValidationError(flag, 'needs a value');
    }
    values.set(flag, value);
  }
  const opts: CliOptions = {
    command,
    cmdline: values.get('--cmdline') ?? DEFAULTS.cmdline,
    zinitSocket: values.get('--zinit-socket') ?? DEFAULTS.zinitSocket,
    zinitDir: values.get('--zinit-dir') ?? DEFAULTS.zinitDir,
    status: values.get('--status') ?? DEFAULTS.status,
    resolvConf: settings.resolvConf,
  };
  const nics = values.get('--nics');
  if (nics !== undefined) {
    const list = nics.split(',').filter((n) => n !== '');
    if (!list.length) throw new ValidationError('--nics', 'needs at least one link name');
    for (const n of list) {
      try {
        parseLinkName('--nics', n);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        throw new ValidationError('--nics', `${JSON.stringify(n)} is not a valid interface name`);
      }
    }
    opts.nics = [...new Set(list)];
  }
  return opts;
}

/** Usage text printed with exit 2 on a bad command line. */
export const USAGE = [
  'usage: internet [run] [--nics a,b,...] [--cmdline FILE] [--zinit-socket PATH] [--zinit-dir DIR] [--status FILE]',
  '       internet status [--status FILE]',
  '       internet help',
].join('\n');

/** `internet help`: what a person at a shell needs (README "The agent" says the same at length). */
export const HELP = `${USAGE}

Finds the NIC that reaches a network with a default gateway (DHCPv4 router or IPv6 RA), builds
bridge zos on it, puts the address and default route on zos, hands the permanent DHCP client
(dhcp-zos) to zinit and exits 0. \`internet status\` prints the status file.

Flags:
  --nics a,b           only these links are candidates (admits virtual links); default: physical NICs
  --cmdline FILE       kernel command line to read (default ${DEFAULTS.cmdline})
  --zinit-socket PATH  zinit control socket (default ${DEFAULTS.zinitSocket})
  --zinit-dir DIR      where dhcp-zos.yaml is written (default ${DEFAULTS.zinitDir})
  --status FILE        status file; probe and dhcp-zos scripts go beside it (default ${DEFAULTS.status})
  -h, --help, help     this text
${settingsHelp()}

Kernel command line (split as the kernel splits it; other keys are ignored, odd ones logged):
${kernelKeysHelp()}

Exit codes:
  0    online (or already configured); help printed
  1    internal error; \`internet status\` could not read the status file
  2    bad input: a flag, a value of a kernel command line key we read, the zinit socket or
       dir, a --nics name, the zos.nic pin, the ip= device or an environment setting. Nothing was changed
  3    the kernel cannot do what the command line asks (VLAN without VLAN filtering), or a
       zos link exists that is not a bridge
  143  stopped by SIGTERM/SIGINT
`;
