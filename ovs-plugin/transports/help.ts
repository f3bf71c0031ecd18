// The human usage of `ovs-plugin` (`--help`, `-h`, `help [command]`), generated from each
// command's `usage`, made from its argument declaration in commands/wire.ts (the one its
// validator checks the fields against, `argsOf`), so it cannot drift from what the commands accept. Programs keep the
// v1 framed protocol; this
// is for people.
import { COMMANDS, lookup } from '../commands/registry.ts';
import type { Command } from '../commands/types.ts';
import { MAX_SOCKET_PATH_BYTES } from './socket-path.ts';
import { settingsHelp } from '../settings.ts';

/** True for the arguments that ask for help instead of a command. */
export const isHelp = (argv: string[]): boolean => ['--help', '-h', 'help'].includes(argv[0] ?? '');

/** One command's usage: summary, arguments with types, an example call. */
export function commandUsage(name: string, c: Command<unknown, unknown>): string {
  const u = c.usage;
  const width = Math.max(...u.args.map((a) => a.name.length));
  const lines = [`${name} - ${u.summary}`];
  for (const a of u.args)
    lines.push(`    ${a.name.padEnd(width)}  ${a.required ? 'required' : 'optional'}  ${a.type}: ${a.doc}`);
  lines.push(`  example: ovs-plugin ${name} '${JSON.stringify(u.example)}'`);
  return lines.join('\n');
}

/** The whole usage, or one command's for `help <command>` (EUNKNOWN for a name that is none). */
export function usage(argv: string[]): string {
  const topic = argv[0] === 'help' ? argv[1] : undefined;
  if (topic) {
    const { name, command } = lookup(topic);
    return commandUsage(name, command) + '\n';
  }
  return [
    'usage:',
    "  ovs-plugin <command> '<json arguments>'   run one command; " +
      'prints 20:::<json>\\n::: (v1 exec protocol), exit 0 or 1',
    '  ovs-plugin serve --socket PATH [--db URL] JSON-RPC 2.0 daemon, ' +
      `one request per line (PATH <= ${MAX_SOCKET_PATH_BYTES} bytes)`,
    "  ovs-plugin help [command]                 this text, or one command's",
    ...settingsHelp(),
    '',
    'commands (the ovs. prefix is optional):',
    ...Object.entries(COMMANDS).map(([n, c]) => commandUsage(n, c)),
    '',
  ].join('\n');
}
