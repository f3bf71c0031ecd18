// RFC 7047 wire notation (section 5.1) and operations (section 5.2), plus the client contract
// that the plugin's commands are written against. The client itself lives beside this file.

/** <uuid>: ["uuid", "550e8400-..."] (RFC 7047 5.1). */
export type Uuid = ['uuid', string];
/** <named-uuid>: ["named-uuid", "id"], valid within one transaction. */
export type NamedUuid = ['named-uuid', string];
export type Atom = string | number | boolean | Uuid | NamedUuid;
/** <set>: an atom alone means a 1-element set; ["set", [...]] any size. */
export type OvsSet = ['set', Atom[]];
/** <map>: ["map", [[key, value], ...]]. */
export type OvsMap = ['map', [Atom, Atom][]];
export type Value = Atom | OvsSet | OvsMap;
export type Row = Record<string, Value>;

/** <condition>: [column, function, value] (RFC 7047 5.1). */
export type Condition = [string, '==' | '!=' | '<' | '<=' | '>' | '>=' | 'includes' | 'excludes', Value];
/** <mutation>: [column, mutator, value]. */
export type Mutation = [string, '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete', Value];

/** Transaction operations (RFC 7047 5.2). */
export type Operation =
  | { op: 'insert'; table: string; row: Row; 'uuid-name'?: string }
  | { op: 'select'; table: string; where: Condition[]; columns?: string[] }
  | { op: 'update'; table: string; where: Condition[]; row: Row }
  | { op: 'mutate'; table: string; where: Condition[]; mutations: Mutation[] }
  | { op: 'delete'; table: string; where: Condition[] }
  | {
      op: 'wait';
      table: string;
      where: Condition[];
      columns: string[];
      until: '==' | '!=';
      rows: Row[];
      timeout?: number;
    }
  | { op: 'commit'; durable: boolean }
  | { op: 'abort' }
  | { op: 'comment'; comment: string }
  | { op: 'assert'; lock: string };

/** One operation's result; `error` set when it failed (RFC 7047 5.2 / 4.1.3). */
export interface OperationResult {
  uuid?: Uuid;
  rows?: Row[];
  count?: number;
  error?: string;
  details?: string;
}

/** A row in the monitor cache: columns in wire notation, `_uuid` included. */
export type CachedRow = Row & { _uuid: Uuid };

/** Monitor request for one table: which columns to keep in the cache (all if omitted). */
export interface MonitorSpec {
  columns?: string[];
}

/** The OVSDB client the commands use. Every method checks every result and throws typed errors. */
export interface OvsdbClient {
  /**
   * Sends one `transact` (RFC 7047 4.1.3) to `db` and checks every result, including the
   * trailing commit error; throws OvsdbError (code EOVSDB_TXN) with the failing op's index.
   */
  transact(db: string, ops: Operation[]): Promise<OperationResult[]>;
  /** Starts a monitor (RFC 7047 4.1.5) and keeps `cache` current; re-established on reconnect. */
  monitor(db: string, tables: Record<string, MonitorSpec>): Promise<void>;
  /** Table name -> row uuid -> row, as last reported by the monitor. */
  readonly cache: Map<string, Map<string, CachedRow>>;
  /** Sends `echo` and waits for the reply. */
  echo(): Promise<void>;
  /** Resolves once connected (immediately when already connected). */
  ready(): Promise<void>;
  close(): Promise<void>;
}
