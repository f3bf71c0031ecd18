// zinit unit files (/etc/zinit/NAME.yaml) as the fallback init reads them: the field subset
// our units and the agent's dhcp-zos use (../../../shared/reference/zinit.md), `exec` split
// shell-style with no shell, as zinit does.
import { readFile } from 'node:fs/promises';

/** One parsed unit. */
export interface Unit {
  name: string;
  exec: string[];
  test?: string[];
  oneshot: boolean;
  after: string[];
  log: 'none' | 'ring' | 'stdout';
  env: Record<string, string>;
  dir: string;
}

/** Shell-style split (quotes and backslashes, no expansion); null on unbalanced quotes. */
export function splitWords(line: string): string[] | null {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let q: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q === "'") {
      if (c === q) q = null;
      else cur += c;
      continue;
    }
    if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
      continue;
    }
    if (q === '"') {
      if (c === q) q = null;
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      q = c;
      inWord = true;
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (q) return null;
  if (inWord) out.push(cur);
  return out;
}

function scalar(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && ((t.startsWith("'") && t.endsWith("'")) || (t.startsWith('"') && t.endsWith('"'))))
    return t.slice(1, -1);
  return t;
}

/** Parses a unit's text; throws naming the field on anything it cannot use. */
export function parseUnit(name: string, text: string): Unit {
  const fields = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const maps = new Map<string, Record<string, string>>();
  let open: string | null = null;
  for (const raw of text.split('\n')) {
    if (/^\s*(#|$)/.test(raw)) continue;
    const item = /^\s+-\s*(.*)$/.exec(raw);
    const sub = /^\s+([A-Za-z_][A-Za-z0-9_]*):\s*(.*)$/.exec(raw);
    if (item && open) {
      (lists.get(open) ?? lists.set(open, []).get(open)!).push(scalar(item[1]!));
      continue;
    }
    if (sub && open) {
      (maps.get(open) ?? maps.set(open, {}).get(open)!)[sub[1]!] = scalar(sub[2]!);
      continue;
    }
    const kv = /^([a-z_]+):\s*(.*)$/.exec(raw);
    if (!kv) throw new Error(`${name}.yaml: cannot read line ${JSON.stringify(raw)}`);
    open = null;
    const [, key, value] = kv as unknown as [string, string, string];
    if (value === '') {
      open = key;
      continue;
    }
    const inline = /^\[(.*)\]$/.exec(value.trim());
    if (inline) lists.set(key, inline[1]!.split(',').map(scalar).filter(Boolean));
    else fields.set(key, scalar(value));
  }
  const words = (field: string): string[] | undefined => {
    const v = fields.get(field);
    if (v === undefined) return undefined;
    const w = splitWords(v);
    if (!w?.length) throw new Error(`${name}.yaml: field ${field} is not a command line`);
    return w;
  };
  const exec = words('exec');
  if (!exec) throw new Error(`${name}.yaml: field exec is required`);
  const log = fields.get('log') ?? 'ring';
  if (log !== 'none' && log !== 'ring' && log !== 'stdout')
    throw new Error(`${name}.yaml: field log must be none, ring or stdout`);
  const test = words('test');
  return {
    name,
    exec,
    oneshot: fields.get('oneshot') === 'true',
    after: lists.get('after') ?? [],
    log,
    env: maps.get('env') ?? {},
    dir: fields.get('dir') ?? '/',
    ...(test ? { test } : {}),
  };
}

/** Reads and parses `<dir>/<name>.yaml`. */
export async function loadUnit(dir: string, name: string): Promise<Unit> {
  return parseUnit(name, await readFile(`${dir}/${name}.yaml`, 'utf8'));
}
