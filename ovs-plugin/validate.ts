// Argument schemas of the `ovs.*` commands. Everything that comes from outside goes through
// here before any change is made; each failure is a ValidationError (code EINVALID) naming the
// field. Built on lib/validate.ts so names, VLAN ids and VNIs follow one rule everywhere.
import { ValidationError } from '../lib/errors.ts';
import { ipAddress, linkName, typeName, vlanTag as tag, vni } from '../lib/validate.ts';

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
export function argsObject(v: unknown, allowed: readonly string[], required: readonly string[]): Record<string, unknown> {
  if (v === null || v === undefined) v = {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ValidationError('args', `must be a JSON object, got ${typeName(v)}`);
  checkDepth('args', v);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new ValidationError(k.slice(0, 64), 'unknown field');
  for (const k of required) if (o[k] === undefined || o[k] === null) throw new ValidationError(k, 'is required');
  return o;
}

/** A present-and-not-null test: JSON null counts as "not given" for optional fields. */
export const given = (v: unknown): boolean => v !== undefined && v !== null;

/** An optional boolean (default false). */
export function optBool(field: string, v: unknown): boolean {
  if (!given(v)) return false;
  if (typeof v !== 'boolean') throw new ValidationError(field, `must be true or false, got ${typeName(v)}`);
  return v;
}

/** A map of string to string (v1 "options"/"values"); keys `column` or `column:key`. */
export function stringMap(field: string, v: unknown, opts: { nonEmpty?: boolean } = {}): Record<string, string> {
  if (!given(v)) {
    if (opts.nonEmpty) throw new ValidationError(field, 'is required');
    return {};
  }
  if (typeof v !== 'object' || Array.isArray(v)) throw new ValidationError(field, `must be an object of strings, got ${typeName(v)}`);
  const entries = Object.entries(v as Record<string, unknown>);
  if (opts.nonEmpty && entries.length === 0) throw new ValidationError(field, 'must not be empty');
  if (entries.length > MAX_ENTRIES) throw new ValidationError(field, `more than ${MAX_ENTRIES} entries`);
  const out: Record<string, string> = {};
  for (const [k, val] of entries) {
    const f = `${field}.${k.slice(0, 64)}`;
    if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(k)) throw new ValidationError(f, 'key must be 1..128 characters of A-Z a-z 0-9 _ . : -');
    if (typeof val !== 'string') throw new ValidationError(f, `must be a string, got ${typeName(val)}`);
    if (Buffer.byteLength(val) > 1024) throw new ValidationError(f, 'longer than 1024 bytes');
    out[k] = val;
  }
  return out;
}

/** A list of interface names (bond links), distinct, at least `min`. */
export function nameList(field: string, v: unknown, min: number): string[] {
  if (!Array.isArray(v)) throw new ValidationError(field, `must be an array of names, got ${typeName(v)}`);
  if (v.length < min) throw new ValidationError(field, `needs at least ${min} entries`);
  if (v.length > MAX_ENTRIES) throw new ValidationError(field, `more than ${MAX_ENTRIES} entries`);
  const out = v.map((x, i) => linkName(`${field}[${i}]`, x));
  if (new Set(out).size !== out.length) throw new ValidationError(field, 'names must be distinct');
  return out;
}

/** An optional list of unicast IP addresses (VXLAN peers). */
export function ipList(field: string, v: unknown): string[] | undefined {
  if (!given(v)) return undefined;
  if (!Array.isArray(v)) throw new ValidationError(field, `must be an array of IP addresses, got ${typeName(v)}`);
  if (v.length > MAX_ENTRIES) throw new ValidationError(field, `more than ${MAX_ENTRIES} entries`);
  return [...new Set(v.map((x, i) => ipAddress(`${field}[${i}]`, x)))].sort();
}

/** An optional link name. */
export const optName = (field: string, v: unknown): string | undefined => (given(v) ? linkName(field, v) : undefined);

/** A VLAN tag, 0 (untagged) .. 4094; optional ones default to 0. */
export const vlanTag = (field: string, v: unknown): number => (given(v) ? tag(field, v) : 0);

/** The shared validators, re-exported so command modules import argument rules from one place (`vlanId`: a tag, 0..4094). */
export { linkName, tag as vlanId, vni };
