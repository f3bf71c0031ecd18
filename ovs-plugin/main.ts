// Entry point of `ovs-plugin`: `serve --socket PATH [--db URL]` runs the JSON-RPC daemon;
// anything else is one v1-style exec call, `ovs-plugin <command> '<json>'`.
import { toAppError } from '../lib/errors.ts';
import { formatLine } from '../lib/log.ts';
import { runExec } from './transports/exec.ts';
import { runServe } from './transports/serve.ts';

const argv = process.argv.slice(2);
const serve = argv[0] === 'serve';
const done = serve ? runServe(argv.slice(1)) : runExec(argv);
// An exec call exits as soon as its answer is written, whatever handles remain.
done.then((code) => { process.exitCode = code; if (!serve) process.stdout.write('', () => process.exit(code)); }, (err) => {
  const e = toAppError(err);
  process.stdout.write(formatLine('error', 'ovs-plugin-failed', { code: e.code, message: e.message }) + '\n', () => process.exit(1));
});
