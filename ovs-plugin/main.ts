// Entry point of `ovs-plugin`: `serve --socket PATH [--db URL]` runs the JSON-RPC daemon;
// `--help`, `-h`, `help [command]` print the human usage; anything else is one v1-style exec
// call, `ovs-plugin <command> '<json>'`. Hidden: `wg-genl` answers one kernel WireGuard
// request (JSON on stdin) in the namespace it was started in (lib/wireguard/genl-runner.ts).
import { toAppError } from '../lib/errors.ts';
import { formatLine } from '../lib/log.ts';
import { runExec } from './transports/exec.ts';
import { isHelp, usage } from './transports/help.ts';
import { runServe } from './transports/serve.ts';
import { runMesh } from './overlay/mesh-cli.ts';
import { processSettings } from './settings.ts';
import { runWgGenl, WG_GENL_SUBCOMMAND } from '../lib/wireguard/genl-runner.ts';

const argv = process.argv.slice(2);
const help = isHelp(argv) && argv[0] !== 'mesh';
const done =
  argv[0] === WG_GENL_SUBCOMMAND
    ? runWgGenl(process.stdin, (s) => process.stdout.write(s))
    : argv[0] === 'mesh'
      ? runMesh(argv.slice(1), process.stdout, process.stderr)
      : help
        ? Promise.resolve().then(() => {
            process.stdout.write(usage(argv));
            return 0;
          })
        : argv[0] === 'serve'
          ? runServe(argv.slice(1), processSettings)
          : runExec(argv, processSettings);
// Exit as soon as the answer is written, whatever handles remain (the daemon keeps its listening
// socket open on purpose: closing it would unlink whatever the path holds).
done.then(
  (code) => {
    process.exitCode = code;
    process.stdout.write('', () => process.exit(code));
  },
  (err) => {
    const e = toAppError(err);
    process.stdout.write(formatLine('error', 'ovs-plugin-failed', { code: e.code, message: e.message }) + '\n', () =>
      process.exit(help ? 2 : 1),
    );
  },
);
