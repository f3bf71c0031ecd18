// The shape of a normalised RFC 7047 3.2 column type, as vswitch-schema.ts holds it.

/** <atomic-type> (RFC 7047 3.2). */
export type AtomicType = 'string' | 'integer' | 'real' | 'boolean' | 'uuid';

/** <base-type> with its constraints; `enum` always an array. */
export interface BaseType {
  readonly type: AtomicType;
  readonly enum?: readonly (string | number | boolean)[];
  readonly minInteger?: number;
  readonly maxInteger?: number;
  readonly minReal?: number;
  readonly maxReal?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly refTable?: string;
  readonly refType?: 'strong' | 'weak';
}

/** <type>: key, optional value (a map), and how many elements (min 1 max 1 is a scalar). */
export interface ColumnType {
  readonly key: BaseType;
  readonly value?: BaseType;
  readonly min: number;
  readonly max: number | 'unlimited';
}
