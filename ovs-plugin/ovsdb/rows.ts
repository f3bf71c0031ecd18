// Typed rows: RFC 7047 5.1 wire values decoded by the column types of vswitch-schema.ts (a
// uuid as its string, a set as an array, an optional column as value | undefined, a map as a
// Map), and typed values encoded back for operations. Table and column names are looked up as
// the schema's own properties only, so `constructor` or `__proto__` is never a column.
import type { Atom, CachedRow, Value } from './types.ts';
import { isUuid, setToArray, uuid } from './notation.ts';
import type { BaseType, ColumnType } from './schema-types.ts';
import { COLUMN_TYPES, type Rows } from './vswitch-schema.ts';

/** A table of vswitch-schema.ts. */
export type Table = keyof Rows;
/** A column of `T` (its schema columns, `_uuid` excluded). */
export type ColumnName<T extends Table> = Exclude<keyof Rows[T], '_uuid'> & string;

/** A decoded atom. */
export type Scalar = string | number | boolean;
/** A decoded column value. */
export type Decoded = Scalar | undefined | readonly Scalar[] | ReadonlyMap<Scalar, Scalar>;

/** True when `t` is a table of the generated schema (own property, never a prototype name). */
export const isTable = (t: string): t is Table => Object.hasOwn(COLUMN_TYPES, t);

/** The schema type of `table`.`column`, or undefined when the schema has no such own column. */
export function columnType(table: string, column: string): ColumnType | undefined {
  if (!isTable(table)) return undefined;
  const cols: Record<string, ColumnType> = COLUMN_TYPES[table];
  return Object.hasOwn(cols, column) ? cols[column] : undefined;
}

/** The schema type of a known column (a typo is a type error). */
export const typeOf = <T extends Table>(table: T, column: ColumnName<T>): ColumnType => columnType(table, column)!;

/** True for a column holding one atom (RFC 7047 3.2: min 1, max 1, no value). */
export const isScalar = (t: ColumnType): boolean => !t.value && t.min === 1 && t.max === 1;

const DEFAULTS: Record<BaseType['type'], Scalar> = { string: '', integer: 0, real: 0, boolean: false, uuid: '' };

function decodeAtom(b: BaseType, a: Atom): Scalar {
  if (b.type === 'uuid') return isUuid(a) ? a[1] : String(a);
  return a as Scalar;
}

const encodeAtom = (b: BaseType, a: Scalar): Atom => (b.type === 'uuid' ? uuid(String(a)) : a);

/** Decodes one wire value; a column missing from the row decodes to its empty/default value. */
export function decodeValue(t: ColumnType, v: Value | undefined): Decoded {
  if (t.value) {
    const pairs = Array.isArray(v) && v[0] === 'map' ? (v[1] as [Atom, Atom][]) : [];
    return new Map(pairs.map(([k, x]) => [decodeAtom(t.key, k), decodeAtom(t.value!, x)]));
  }
  const atoms = setToArray(v).map((a) => decodeAtom(t.key, a));
  if (isScalar(t)) return atoms[0] ?? DEFAULTS[t.key.type];
  if (t.min === 0 && t.max === 1) return atoms[0];
  return atoms;
}

/** Encodes a decoded value for an operation (an optional column's one value as a bare atom, RFC 7047 5.1). */
export function encodeValue(t: ColumnType, v: Decoded): Value {
  if (t.value) {
    const m = v instanceof Map ? v : new Map<Scalar, Scalar>();
    return ['map', [...m].map(([k, x]) => [encodeAtom(t.key, k), encodeAtom(t.value!, x)] as [Atom, Atom])];
  }
  if (isScalar(t)) return encodeAtom(t.key, v as Scalar);
  const items = v === undefined ? [] : Array.isArray(v) ? v : [v as Scalar];
  if (t.max === 1 && items.length === 1) return encodeAtom(t.key, items[0]!);
  return ['set', items.map((a) => encodeAtom(t.key, a))];
}

/** Equality of decoded values: sets regardless of order, maps key by key. */
export function sameDecoded(a: Decoded, b: Decoded): boolean {
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map) || !(b instanceof Map) || a.size !== b.size) return false;
    return [...a].every(([k, x]) => b.has(k) && b.get(k) === x);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    const sa = (Array.isArray(a) ? a : a === undefined ? [] : [a]).map(String).sort();
    const sb = (Array.isArray(b) ? b : b === undefined ? [] : [b]).map(String).sort();
    return sa.length === sb.length && sa.every((x, i) => x === sb[i]);
  }
  return a === b;
}

// Cache rows are replaced, never mutated, on update: a decoded row stays valid for its object.
const decoded = new WeakMap<CachedRow, Map<readonly string[], Record<string, Decoded>>>();

/** `row` of `table` decoded (memoised per cache row object and column list), holding only `columns` and `_uuid`. */
export function decodeRow<T extends Table, C extends ColumnName<T>>(
  table: T,
  row: CachedRow,
  columns: readonly C[],
): Pick<Rows[T], C | '_uuid'> {
  let byCols = decoded.get(row);
  if (!byCols) decoded.set(row, (byCols = new Map()));
  let out = byCols.get(columns);
  if (!out) {
    out = { _uuid: row._uuid[1] };
    for (const c of columns) out[c] = decodeValue(typeOf(table, c), Object.hasOwn(row, c) ? row[c] : undefined);
    byCols.set(columns, out);
  }
  return out as unknown as Pick<Rows[T], C | '_uuid'>;
}

/** The wire form of some columns of a typed row (for `wait` rows and updates). */
export function encodeColumns<T extends Table>(
  table: T,
  row: Partial<Rows[T]>,
  columns: readonly ColumnName<T>[],
): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const c of columns) out[c] = encodeValue(typeOf(table, c), row[c] as Decoded);
  return out;
}
