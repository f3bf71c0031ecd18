// `ovs-plugin mesh <command> --flag value ...`: the mesh planner on the command line. Each
// command reads the plan, validates every flag, computes the new plan, and only then writes it
// (atomically); a refused command (exit 2) leaves the file byte for byte as it was. Output is for
// programs: JSON, or the laptop's wg-quick file and nothing else for add-access.
import { access } from 'node:fs/promises';
import { exists, notFound, toAppError, ValidationError } from '../../lib/errors.ts';
import { addAccess, addNode, createPlan, removeAccess, removeNode } from './plan.ts';
import { accessConfig } from './plan-access.ts';
import { documentOf, documentsOf } from './plan-documents.ts';
import { readPlan, writePlan } from './plan-file.ts';
import { publicKeyOf } from './plan-keys.ts';

/** Where the CLI writes (process.stdout / stderr, or a buffer in tests). */
export interface Sink {
  write(s: string): unknown;
}

type Kind = 'value' | 'flag' | 'list';
type Flags = Record<string, string | true | string[] | undefined>;

const COMMANDS: Record<string, Record<string, Kind>> = {
  create: { plan: 'value', name: 'value', 'ip-range': 'value' },
  'add-node': { plan: 'value', node: 'value', endpoint: 'list', port: 'value' },
  'remove-node': { plan: 'value', node: 'value' },
  'add-access': { plan: 'value', node: 'value', name: 'value', ipv4: 'flag', mtu: 'value' },
  'remove-access': { plan: 'value', name: 'value' },
  documents: { plan: 'value', node: 'value' },
};
const REQUIRED: Record<string, string[]> = {
  create: ['plan', 'name', 'ip-range'],
  'add-node': ['plan', 'node'],
  'remove-node': ['plan', 'node'],
  'add-access': ['plan', 'node'],
  'remove-access': ['plan', 'name'],
  documents: ['plan'],
};

/** Human usage of `ovs-plugin mesh`. */
export const MESH_USAGE = `usage: ovs-plugin mesh <command> --plan FILE ...
  create        --plan F --name NAME --ip-range 10.20.0.0/16
  add-node      --plan F --node ID [--endpoint IP]... [--port P]   (no --endpoint: a hidden node)
  remove-node   --plan F --node ID
  add-access    --plan F --node ID [--name NAME] [--ipv4] [--mtu M] (prints the laptop's wg-quick config)
  remove-access --plan F --name NAME
  documents     --plan F [--node ID]                                (prints {ID: {netid, network}} as JSON)
Exit: 0 done, 2 refused (bad flag or plan; the file is unchanged), 1 failed. See docs/overlay.md.
`;

/** `--name value`, `--name=value`, `--flag`; anything else is an error naming it. */
function parseFlags(command: string, args: readonly string[]): Flags {
  const spec = COMMANDS[command]!;
  const flags: Flags = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(a);
    if (!m)
      throw new ValidationError(
        a.slice(0, 40),
        `unexpected argument (flags are --name value; see ovs-plugin mesh --help)`,
      );
    const [, name, inline] = m as unknown as [string, string, string | undefined];
    const kind = spec[name];
    if (!kind)
      throw new ValidationError(
        `--${name}`,
        `not a flag of mesh ${command} (its flags: ${Object.keys(spec)
          .map((k) => `--${k}`)
          .join(' ')})`,
      );
    if (kind === 'flag') {
      if (inline !== undefined) throw new ValidationError(`--${name}`, 'takes no value');
      flags[name] = true;
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--')))
      throw new ValidationError(`--${name}`, 'needs a value');
    if (kind === 'list') flags[name] = [...((flags[name] as string[] | undefined) ?? []), value];
    else if (flags[name] !== undefined) throw new ValidationError(`--${name}`, 'given twice');
    else flags[name] = value;
  }
  for (const r of REQUIRED[command]!)
    if (flags[r] === undefined) throw new ValidationError(`--${r}`, `is required by mesh ${command}`);
  return flags;
}

/** A decimal integer flag (`--port`, `--mtu`); range checks are the planner's. */
function integerFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,6}$/.test(v))
    throw new ValidationError(`--${name}`, `${JSON.stringify(v.slice(0, 20))} is not a decimal number`);
  return Number(v);
}

/** Runs one mesh command; resolves to the exit code. */
export async function runMesh(argv: readonly string[], out: Sink, err: Sink): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    (command === undefined ? err : out).write(MESH_USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    if (!Object.hasOwn(COMMANDS, command))
      throw new ValidationError(
        'command',
        `${JSON.stringify(command.slice(0, 40))} is not a mesh command (${Object.keys(COMMANDS).join(', ')})`,
      );
    const f = parseFlags(command, args);
    const planPath = f.plan as string;
    const str = (k: string): string | undefined => f[k] as string | undefined;
    switch (command) {
      case 'create': {
        const plan = createPlan({ name: str('name'), ipRange: str('ip-range') });
        if (
          await access(planPath).then(
            () => true,
            () => false,
          )
        )
          throw exists(`--plan: ${planPath} exists already (a plan is never overwritten by create)`, {
            field: '--plan',
          });
        await writePlan(planPath, plan);
        out.write(`${JSON.stringify({ name: plan.name, netid: plan.netid, ip_range: plan.ip_range })}\n`);
        return 0;
      }
      case 'add-node': {
        const plan = addNode(await readPlan(planPath), {
          id: str('node'),
          endpoints: (f.endpoint as string[] | undefined) ?? [],
          port: integerFlag('port', str('port')),
        });
        await writePlan(planPath, plan);
        const n = plan.nodes.at(-1)!;
        out.write(
          `${JSON.stringify({
            id: n.id,
            subnet: n.subnet,
            port: n.port,
            public_key: publicKeyOf(n.private_key),
            ...(n.relay ? { relay: n.relay } : {}),
          })}\n`,
        );
        return 0;
      }
      case 'remove-node':
        await writePlan(planPath, removeNode(await readPlan(planPath), { id: str('node') }));
        return 0;
      case 'add-access': {
        const r = addAccess(await readPlan(planPath), {
          node: str('node'),
          name: str('name'),
          ipv4: f.ipv4 === true,
          mtu: integerFlag('mtu', str('mtu')),
        });
        await writePlan(planPath, r.plan);
        out.write(accessConfig(r.plan, r.access));
        return 0;
      }
      case 'remove-access':
        await writePlan(planPath, removeAccess(await readPlan(planPath), { name: str('name') }));
        return 0;
      default: {
        const plan = await readPlan(planPath);
        const id = str('node');
        if (id === undefined) {
          out.write(`${JSON.stringify(documentsOf(plan), null, 2)}\n`);
          return 0;
        }
        const node = plan.nodes.find((n) => n.id === id);
        if (!node)
          throw notFound(`--node: no node ${JSON.stringify(id.slice(0, 64))} in the plan`, { field: '--node' });
        out.write(`${JSON.stringify(documentOf(plan, node), null, 2)}\n`);
        return 0;
      }
    }
  } catch (e) {
    const ae = toAppError(e);
    err.write(`ovs-plugin mesh: ${ae.code}: ${ae.message}\n`);
    return ae.retryable ? 1 : 2;
  }
}
