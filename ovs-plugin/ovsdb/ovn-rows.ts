// Typed rows of OVN's databases (fleet mode): a wire row decoded by the column types of
// nb-schema.ts / sb-schema.ts, as rows.ts does for the vswitch tables, and typed values encoded
// back for operations. Only the tables gen-schema.ts generated are known; a typo is a type error.
import { decodeValue, encodeValue, type Decoded } from './rows.ts';
import { COLUMN_TYPES as NB_TYPES, type Rows as NbRows } from './nb-schema.ts';
import { COLUMN_TYPES as SB_TYPES, type Rows as SbRows } from './sb-schema.ts';
import type { ColumnType } from './schema-types.ts';
import type { Row, Value } from './types.ts';

/** Database name of ovn-nb.ovsschema. */
export const NB_DB = 'OVN_Northbound';
/** Database name of ovn-sb.ovsschema. */
export const SB_DB = 'OVN_Southbound';

/** A table of the generated NB schema. */
export type NbTable = keyof NbRows;
/** A table of the generated SB schema. */
export type SbTable = keyof SbRows;

type Types = Record<string, Record<string, ColumnType>>;

function decode(types: Types, table: string, row: Row, columns: readonly string[]): Record<string, Decoded> {
  const cols = types[table]!;
  const out: Record<string, Decoded> = {};
  const id = row._uuid;
  if (Array.isArray(id) && id[0] === 'uuid') out._uuid = id[1] as string;
  for (const c of columns) out[c] = decodeValue(cols[c]!, Object.hasOwn(row, c) ? row[c] : undefined);
  return out;
}

/** `row` of NB table `table` decoded: `_uuid` (when the row has it) and `columns`. */
export const decodeNb = <T extends NbTable, C extends Exclude<keyof NbRows[T], '_uuid'> & string>(
  table: T,
  row: Row,
  columns: readonly C[],
): Pick<NbRows[T], C | '_uuid'> => decode(NB_TYPES, table, row, columns) as unknown as Pick<NbRows[T], C | '_uuid'>;

/** `row` of SB table `table` decoded: `_uuid` (when the row has it) and `columns`. */
export const decodeSb = <T extends SbTable, C extends Exclude<keyof SbRows[T], '_uuid'> & string>(
  table: T,
  row: Row,
  columns: readonly C[],
): Pick<SbRows[T], C | '_uuid'> => decode(SB_TYPES, table, row, columns) as unknown as Pick<SbRows[T], C | '_uuid'>;

/** The wire form of NB columns of a typed row (for inserts, updates and `wait` rows). */
export function encodeNb<T extends NbTable>(table: T, row: Partial<NbRows[T]>): Record<string, Value> {
  const cols: Record<string, ColumnType> = NB_TYPES[table];
  const out: Record<string, Value> = {};
  for (const [c, v] of Object.entries(row)) if (c !== '_uuid') out[c] = encodeValue(cols[c]!, v as Decoded);
  return out;
}
