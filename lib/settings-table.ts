// Environment settings as a table: each row names a variable, its default, the values it accepts
// and its parser; a program reads all its rows once at start (readTable) and passes the typed,
// frozen result down. Its help text and docs list come from the same rows (settingsLines), so
// they cannot drift from what is accepted. A bad value is EINVALID naming the variable and
// what it accepts; an unset or empty variable takes the default.
import { ValidationError } from './errors.ts';

/** One environment setting: `parse` returns undefined for a value outside `accepts`. */
export interface Setting<T> {
  name: string;
  /** The default as the variable would spell it ('' = none). */
  default: string;
  /** What the variable accepts, as said in errors and docs (`1..3600000 (ms)`). */
  accepts: string;
  /** One line: what it does. */
  doc: string;
  parse(text: string): T | undefined;
}

/** The typed values of a table of settings. */
export type ValuesOf<T extends Record<string, Setting<unknown>>> = {
  readonly [K in keyof T]: Exclude<ReturnType<T[K]['parse']>, undefined>;
};

/** Reads every row of `table` from `env`; EINVALID naming the first bad variable and its accepted range. */
export function readTable<T extends Record<string, Setting<unknown>>>(
  table: T,
  env: Readonly<Record<string, string | undefined>>,
): ValuesOf<T> {
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(table)) {
    const given = env[s.name];
    const text = given === undefined || given === '' ? s.default : given;
    const v = s.parse(text);
    if (v === undefined)
      throw new ValidationError(s.name, `${JSON.stringify(text.slice(0, 40))} is not ${s.accepts}`, {
        accepts: s.accepts,
      });
    out[key] = v;
  }
  return Object.freeze(out) as ValuesOf<T>;
}

/** One line per setting: name, accepted values, default, doc (help text; the docs tables list the same). */
export function settingsLines(table: Record<string, Setting<unknown>>): string[] {
  return Object.values(table).map(
    (s) => `  ${s.name} (${s.accepts}; default ${s.default === '' ? 'unset' : s.default}): ${s.doc}`,
  );
}

/** An integer setting in lo..hi (decimal digits only: `60s`, `1e3`, `-1` are refused). */
export function intIn(lo: number, hi: number, unit = 'ms'): Pick<Setting<number>, 'accepts' | 'parse'> {
  return {
    accepts: `${lo}..${hi} (${unit})`,
    parse: (t) => (/^\d{1,10}$/.test(t) && Number(t) >= lo && Number(t) <= hi ? Number(t) : undefined),
  };
}

/** A setting that is one of `values`. */
export function oneOf<V extends string>(values: readonly V[]): Pick<Setting<V>, 'accepts' | 'parse'> {
  return {
    accepts: values.join(' or '),
    parse: (t) => ((values as readonly string[]).includes(t) ? (t as V) : undefined),
  };
}

/** Text without control characters that `ok` accepts ('' only where the default is ''). */
export const text = (
  accepts: string,
  ok: (t: string) => boolean = () => true,
): Pick<Setting<string>, 'accepts' | 'parse'> => ({
  accepts,
  parse: (t) => (!/[\0-\x1f]/.test(t) && ok(t) ? t : undefined),
});

/** ZOS_RTNL, which both programs read: 0 sends their link changes through `ip` (lib/rtnl-socket.ts). */
export const RTNL_SETTING: Setting<boolean> = {
  name: 'ZOS_RTNL',
  default: '1',
  accepts: '0 or 1',
  parse: (t: string) => (t === '1' ? true : t === '0' ? false : undefined),
  doc: '0: change links through ip instead of the in-process rtnetlink socket',
};
