// Builders and readers for RFC 7047 section 5.1 notation: <set>, <map>, <uuid>, <named-uuid>.
import type { Atom, NamedUuid, OvsMap, OvsSet, Uuid, Value } from './types.ts';

/** <uuid> (RFC 7047 5.1). */
export const uuid = (id: string): Uuid => ['uuid', id];

/** <named-uuid>: refers to a row inserted earlier in the same transaction (RFC 7047 5.1). */
export const namedUuid = (name: string): NamedUuid => ['named-uuid', name];

/** <set> of any size; RFC 7047 5.1 also allows a bare atom for one element, but we always wrap. */
export const ovsSet = (atoms: Iterable<Atom>): OvsSet => ['set', [...atoms]];

/** <map> from a plain object or Map (RFC 7047 5.1). */
export function ovsMap(entries: Record<string, Atom> | Map<Atom, Atom> | Iterable<[Atom, Atom]>): OvsMap {
  const pairs: [Atom, Atom][] =
    entries instanceof Map || Symbol.iterator in Object(entries)
      ? [...(entries as Iterable<[Atom, Atom]>)]
      : Object.entries(entries as Record<string, Atom>);
  return ['map', pairs];
}

/** True for a <uuid> value. */
export function isUuid(v: unknown): v is Uuid {
  return Array.isArray(v) && v.length === 2 && v[0] === 'uuid' && typeof v[1] === 'string';
}

/** The id string of a <uuid> (throws on anything else). */
export function uuidOf(v: unknown): string {
  if (!isUuid(v)) throw new TypeError(`not a uuid: ${JSON.stringify(v)}`);
  return v[1];
}

/** Elements of a set column: a bare atom is a 1-element set, ["set", []] is empty (RFC 7047 5.1). */
export function setToArray(v: Value | undefined): Atom[] {
  if (v === undefined) return [];
  if (Array.isArray(v) && v[0] === 'set') return (v as OvsSet)[1];
  return [v as Atom];
}

/** A map column as a plain object keyed by the string form of each key. */
export function mapToObject(v: Value | undefined): Record<string, Atom> {
  const out: Record<string, Atom> = {};
  if (Array.isArray(v) && v[0] === 'map')
    for (const [k, val] of (v as OvsMap)[1]) out[isUuid(k) ? k[1] : String(k)] = val;
  return out;
}

/** Uuid strings of a set-of-references column. */
export function uuidsOf(v: Value | undefined): string[] {
  return setToArray(v)
    .filter(isUuid)
    .map((u) => u[1]);
}

/** An optional column (set of 0 or 1): its atom or undefined. */
export function optional(v: Value | undefined): Atom | undefined {
  const a = setToArray(v);
  return a.length === 0 ? undefined : a[0];
}
