// Command-line flags of `internet` (an interface: the zinit unit, tests and operators rely on them):
//   internet [run] [--nics a,b] [--cmdline FILE] [--zinit-socket PATH] [--zinit-dir DIR] [--status FILE]
//   internet status [--status FILE]
import { ValidationError } from '../lib/errors.ts';
import { linkName } from '../lib/validate.ts';

/** Defaults of a real boot under zinit. */
export const DEFAULTS = {
  cmdline: '/proc/cmdline',
  zinitSocket: '/var/run/zinit.sock',
  zinitDir: '/etc/zinit',
  status: '/run/internet/status.json',
  resolvConf: '/etc/resolv.conf',
} as const;

/** Parsed command line of the agent. */
export interface CliOptions {
  command: 'run' | 'status';
  nics?: string[];
  cmdline: string;
  zinitSocket: string;
  zinitDir: string;
  status: string;
  /** Where DNS servers go; env INTERNET_RESOLV_CONF (tests point it at a scratch file). */
  resolvConf: string;
}

const RUN_FLAGS = ['--nics', '--cmdline', '--zinit-socket', '--zinit-dir', '--status'];
const STATUS_FLAGS = ['--status'];

/** Parses argv (without node and script); throws ValidationError naming the flag. */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  const args = [...argv];
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
    resolvConf: env.INTERNET_RESOLV_CONF || DEFAULTS.resolvConf,
  };
  const nics = values.get('--nics');
  if (nics !== undefined) {
    const list = nics.split(',').filter((n) => n !== '');
    if (!list.length) throw new ValidationError('--nics', 'needs at least one link name');
    for (const n of list) {
      try {
        linkName('--nics', n);
      } catch {
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
].join('\n');
