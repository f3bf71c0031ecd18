// Argument schemas of the `ovs.*` commands. Everything that comes from outside goes through
// here before any change is made; each failure is a ValidationError (code EINVALID) naming the
// field. Built on lib/validate.ts so names, VLAN ids and VNIs follow one rule everywhere.
import { ValidationError } from '../lib/errors.ts';
import { isIPv4 } from 'node:net';
import { parseIpAddress, parseLinkName, parseVlanTag, typeName } from '../lib/validate.ts';

/** Largest JSON argument text accepted (bytes); v1 had no limit. */
export const MAX_ARGS_BYTES = 64 * 1024;
/** Deepest nesting of arrays/objects accepted in an argument object. */
export const MAX_DEPTH = 8;
/** Most entries in one option map or list. */
export const MAX_ENTRIES = 256;

/** Parses the raw JSON text of a command's arguments, refusing huge or deeply nested input. */
export function parseArgsText(text: string, field = 'args'): unknown {
  if (Buffer.byteLength(text) > MAX_ARGS_BYTES) throw new ValidationError(field, `larger than ${MAX_ARGS_BYTES} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(text === '' ? '{}' : text);
  } catch (err) {
    throw new ValidationError(field, `not valid JSON: ${(err as Error).message}`);
  }
  checkDepth(field, v);
  return v;
}

/** Throws when `v` nests deeper than MAX_DEPTH (iterative: no stack overflow on hostile input). */
export function checkDepth(field: string, v: unknown): void {
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (d > MAX_DEPTH) throw new ValidationError(field, `nested deeper than ${MAX_DEPTH} levels`);
    for (const c of Object.values(x as object)) stack.push([c, d + 1]);
  }
}

/** The arguments object with only `allowed` keys, all `required` ones present and non-null. */
export function argsObject(
  v: unknown,
  allowed: readonly string[],
  required: readonly string[],
): Record<string, unknown> {
  if (v === null || v === undefined) v = {};
  if (typeof v !== 'object' || Array.isArray(v))
    throw new ValidationError('args', `must be a JSON object, got ${typeName(v)}`);
  checkDepth('args', v);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new ValidationError(k.slice(0, 64), 'unknown field');
  for (const k of required) if (o[k] === undefined || o[k] === null) throw new ValidationError(k, 'is required');
  return o;
}

/** One argument of a command as `--help` shows it; the validator accepts exactly the declared names. */
export interface ArgSpec {
  readonly name: string;
  readonly required?: boolean;
  /** Its type in words (`name`, `0..4094`, `{column[:key]: string}`). */
  readonly type: string;
  readonly doc: string;
}

/** What `--help` says about a command: one line, its arguments, and an example that validates (a test checks). */
export interface Usage {
  readonly summary: string;
  readonly args: readonly ArgSpec[];
  readonly example: Record<string, unknown>;
}

/**
 * One argument of a command, declared once: whether it is required, its type in words and its
 * doc (for --help), and `T`, the JSON type a client sends (phantom: only the types see it).
 */
export interface ArgDecl<T = unknown, R extends boolean = boolean> {
  readonly required: R;
  readonly type: string;
  readonly doc: string;
  /** Never set: carries `T` for Infer. */
  readonly wire?: T;
}

/** A command's arguments by name, in --help order. */
export type ArgDecls = Readonly<Record<string, ArgDecl>>;

/** A required argument of JSON type T. */
export const required = <T>(type: string, doc: string): ArgDecl<T, true> => ({ required: true, type, doc });
/** An optional argument of JSON type T (null counts as not given). */
export const optional = <T>(type: string, doc: string): ArgDecl<T, false> => ({ required: false, type, doc });

type WireOf<A> = A extends ArgDecl<infer T, boolean> ? T : never;
type RequiredKeys<D extends ArgDecls> = { [K in keyof D]: D[K] extends ArgDecl<unknown, true> ? K : never }[keyof D];

/** The wire type of a command's arguments (what a client sends), from its declaration. */
export type Infer<D extends ArgDecls> = { -readonly [K in RequiredKeys<D>]: WireOf<D[K]> } & {
  -readonly [K in Exclude<keyof D, RequiredKeys<D>>]?: WireOf<D[K]> | null;
};

/** A command's usage from its declaration: the arguments listed in order, the example typed as the wire arguments. */
export const usageOf = <D extends ArgDecls>(decl: D, summary: string, example: Infer<D>): Usage => ({
  summary,
  args: Object.entries(decl).map(([name, a]) => ({
    name,
    ...(a.required ? { required: true } : {}),
    type: a.type,
    doc: a.doc,
  })),
  example: example as Record<string, unknown>,
});

/** The arguments object checked against the declaration (names, required ones); only declared fields can be read. */
export const argsOf = <D extends ArgDecls>(v: unknown, decl: D): { readonly [K in keyof D]?: unknown } => {
  const names = Object.keys(decl);
  return argsObject(
    v,
    names,
    names.filter((n) => decl[n]!.required),
  );
};

/** A present-and-not-null test: JSON null counts as "not given" for optional fields. */
export const given = (v: unknown): boolean => v !== undefined && v !== null;

/** An optional boolean (default false). */
export function parseOptBool(field: string, v: unknown): boolean {
  if (!given(v)) return false;
  if (typeof v !== 'boolean') throw new ValidationError(field, `must be true or false, got ${typeName(v)}`);
  return v;
}

/**
 * A map of string to string (v1 "options"/"values"); keys `column` or `column:key`. Returned as
 * a Map so that no key (`__proto__`, `constructor`) can touch an object's prototype.
 */
export function parseStringMap(field: string, v: unknown, opts: { nonEmpty?: boolean } = {}): Map<string, string> {
  if (!given(v)) {
    if (opts.nonEmpty) throw new ValidationError(field, 'is required');
    return new Map();
  }
  if (typeof v !== 'object' || Array.isArray(v))
    throw new ValidationError(field, `must be an object of strings, got ${typeName(v)}`);
  const entries = Object.entries(v as Record<string, unknown>);
  if (opts.nonEmpty && entries.length === 0) throw new ValidationError(field, 'must not be empty');
  if (entries.length > MAX_ENTRIES) throw new ValidationError(field, `more than ${MAX_ENTRIES} entries`);
  const out = new Map<string, string>();
  for (const [k, val] of entries) {
    const f = `${field}.${k.slice(0, 64)}`;
    if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(k))
      throw new ValidationError(f, 'key must be 1..128 characters of A-Z a-z 0-9 _ . : -');
    if (typeof val !== 'string') throw new ValidationError(f, `must be a string, got ${typeName(val)}`);
    if (Buffer.byteLength(val) > 1024) throw new ValidationError(f, 'longer than 1024 bytes');
    // ovsdb-server's JSON parser refuses NUL and lone surrogates by dropping the whole session.
    if (/[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(val))
      throw new ValidationError(f, 'holds control characters or invalid UTF-16');
    out.set(k, val);
  }
  return out;
}

/** A list of interface names (bond links), distinct, at least `min`. */
export function parseNameList(field: string, v: unknown, min: number): string[] {
  if (!Array.isArray(v)) throw new ValidationError(field, `must be an array of names, got ${typeName(v)}`);
  if (v.length < min) throw new ValidationError(field, `needs at least ${min} entries`);
  if (v.length > MAX_ENTRIES) throw new ValidationError(field, `more than ${MAX_ENTRIES} entries`);
  const out = v.map((x, i) => parseLinkName(`${field}[${i}]`, x));
  if (new Set(out).size !== out.length) throw new ValidationError(field, 'names must be distinct');
  return out;
}

/** Why `ip` cannot be a VXLAN peer (unspecified, loopback, multicast, broadcast, reserved), or undefined. */
export function notUnicast(ip: string): string | undefined {
  if (isIPv4(ip)) {
    const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
    if (a === 0) return 'is unspecified (0.0.0.0/8)';
    if (a === 127) return 'is a loopback address';
    if (a >= 224 && a <= 239) return 'is a multicast address';
    if (a === 255 && b === 255 && c === 255 && d === 255) return 'is the broadcast address';
    if (a >= 240) return 'is reserved (240.0.0.0/4)';
    return undefined;
  }
  const n = ip.toLowerCase();
  if (n.includes('%')) return 'carries a zone index (the underlay device is the master)';
  if (/^(0*:)*:?0*$/.test(n) || n === '::') return 'is unspecified (::)';
  if (/^(0*:)*:?0*1$/.test(n)) return 'is the loopback address';
  if (/^ff/.test(n)) return 'is a multicast address';
  if (/^::ffff:/.test(n)) return 'is an IPv4-mapped address (give the IPv4 address)';
  return undefined;
}

/** An optional, non-empty list of unicast IP addresses of one family (VXLAN peers), sorted and distinct. */
export function parseIpList(field: string, v: unknown): string[] | undefined {
  if (!given(v)) return undefined;
  if (!Array.isArray(v)) throw new ValidationError(field, `must be an array of IP addresses, got ${typeName(v)}`);
  if (v.length === 0)
    throw new ValidationError(field, 'must name at least one peer (leave it out for the multicast group)');
  if (v.length > MAX_ENTRIES) throw new ValidationError(field, `more than ${MAX_ENTRIES} entries`);
  const ips = v.map((x, i) => {
    const ip = parseIpAddress(`${field}[${i}]`, x);
    const why = notUnicast(ip);
    if (why) throw new ValidationError(`${field}[${i}]`, `${ip} ${why}: a VXLAN peer must be a unicast address`);
    return ip;
  });
  const families = new Set(ips.map((ip) => (isIPv4(ip) ? 4 : 6)));
  if (families.size > 1)
    throw new ValidationError(field, 'mixes IPv4 and IPv6 peers; one VXLAN device speaks one family');
  return [...new Set(ips)].sort();
}

/** An optional link name. */
export const parseOptName = (field: string, v: unknown): string | undefined =>
  given(v) ? parseLinkName(field, v) : undefined;

/** A VLAN tag, 0 (untagged) .. 4094; optional ones default to 0. */
export const parseOptVlanTag = (field: string, v: unknown): number => (given(v) ? parseVlanTag(field, v) : 0);
