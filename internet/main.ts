// Entry point of `internet` (dist/internet.js): `internet [run] [flags]` configures the
// network and exits 0 once the node is online; `internet status` prints the status file;
// `internet help` (or --help, -h) prints the usage, the kernel command line keys and these codes.
// Exit codes: 0 online, 1 internal error, 2 bad input (nothing changed), 3 the kernel cannot
// do what the command line asks (e.g. vlan:priv without VLAN filtering), 143 SIGTERM/SIGINT.
import { AbortedError, toAppError } from '../lib/errors.ts';
import { createLogger } from '../lib/log.ts';
import { EXIT, runAgent } from './agent.ts';
import { HELP, parseCli, USAGE, type CliOptions } from './cli.ts';
import { discover, recoverProbeNamespaces } from './discover/discover.ts';
import { formatStatus, readStatus } from './status.ts';
import { processSettings, type InternetSettings } from './settings.ts';

async function printStatus(cli: CliOptions): Promise<number> {
  try {
    const s = await readStatus(cli.status);
    process.stdout.write(`${formatStatus(s)}\n\n${JSON.stringify(s, null, 2)}\n`);
    return EXIT.ONLINE;
  } catch (err) {
    process.stderr.write(
      `internet status: cannot read ${cli.status}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`,
    );
    return EXIT.INTERNAL;
  }
}

async function main(argv: string[]): Promise<number> {
  let cli: CliOptions;
  let settings: InternetSettings;
  try {
    settings = processSettings();
    cli = parseCli(argv, settings);
  } catch (err) {
    process.stderr.write(`internet: ${toAppError(err).message}\n${USAGE}\n`);
    return EXIT.BAD_INPUT;
  }
  if (cli.command === 'help') {
    process.stdout.write(HELP);
    return EXIT.ONLINE;
  }
  if (cli.command === 'status') return printStatus(cli);
  const log = createLogger();
  const ac = new AbortController();
  // `on`, not `once`: a second signal must not fall back to Node's default (exit at once, NICs
  // still in probe namespaces); every signal aborts the same run, which brings them home.
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      log.info('signal', { signal: sig });
      ac.abort(new AbortedError(`stopped by ${sig}`));
    });
  }
  try {
    return await runAgent(cli, { discover, recoverProbeNamespaces }, log, ac.signal, settings);
  } catch (err) {
    const e = toAppError(err);
    if (ac.signal.aborted) return EXIT.ABORTED;
    log.error('internal-error', { code: e.code, error: e.message });
    return EXIT.INTERNAL;
  }
}

// Exit once stdout is drained: leftover handles (link watchers, timers) must not keep a
// oneshot alive after it is done.
void main(process.argv.slice(2)).then((code) => {
  process.stdout.write('', () => process.exit(code));
});
