// v1-compatible exec transport: `ovs-plugin <command> '<json>'`. Success: exit 0, stdout
// `20:::<json result>\n:::`; failure: the JSON error `{code, message, field?}` framed the same,
// exit 1 (the 0-core plugin runner's protocol, which v1 spoke). The settings are read first (a
// bad one is that framed EINVALID, `field` the variable). Arguments are
// validated before connecting, so bad input never reaches OVSDB; a command that says these
// arguments need no OVSDB (nic.* of non-OVS kinds) runs without connecting at all.
import { Code, OvsdbError, toAppError, usage } from '../../lib/errors.ts';
import { connectOvsdb, type Client } from '../ovsdb/client.ts';
import { Engine } from '../commands/engine.ts';
import { runWith, type OvsdbSource } from '../commands/context-for.ts';
import { engineCtx, lookup } from '../commands/registry.ts';
import type { Ctx } from '../planners/plan.ts';
import { parseArgsText } from '../validate.ts';
import { envOf, type Settings } from '../settings.ts';

/** One framed message as the 0-core plugin runner reads it. */
export const frame = (value: unknown): string => `20:::${JSON.stringify(value ?? null)}\n:::\n`;

/**
 * Runs one command from argv (without node and script) with the process's settings (read by
 * `settings()`, so a bad one is this call's framed EINVALID); returns the exit code, writes via `out`.
 */
export async function runExec(
  argv: string[],
  settings: () => Settings,
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<number> {
  try {
    const s = settings();
    if (argv.length === 0 || !argv[0]) throw usage('missing command');
    if (argv.length > 2)
      throw usage(
        `extra arguments after the JSON arguments (${argv.length - 2}); usage: ovs-plugin <command> '<json>'`,
      );
    const { command } = lookup(argv[0]);
    const args = command.validate(parseArgsText(argv[1] ?? '{}'));
    let client: Client | undefined;
    try {
      // Asked for by plan and run commands only, as contextFor decides: exec connects only then.
      const connect = async (waitForConnectionMs: number): Promise<Ctx> => {
        client = await connectOvsdb(s.db, { reconnect: true, waitForConnectionMs, probeIntervalMs: 0 });
        const engine = new Engine(client, envOf(s), { applyTimeoutMs: s.applyTimeoutMs });
        await engine.start();
        return engineCtx(engine, s);
      };
      const source: OvsdbSource = {
        // Open vSwitch "runs" if its database answers within a second.
        ifRunning: () =>
          connect(1000).catch((err: unknown) => {
            if (err instanceof OvsdbError && err.code === Code.EOVSDB_CONN) return undefined;
            throw err;
          }),
        required: () => connect(10000),
      };
      out(frame(await runWith(command, args, s, source)));
      return 0;
    } finally {
      await client?.close();
    }
  } catch (err) {
    const e = toAppError(err);
    out(frame({ code: e.code, message: e.message, ...pick(e.details, ['field']) }));
    return 1;
  }
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}
