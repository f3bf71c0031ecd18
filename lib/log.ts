// One line per event on stdout (zinit `log: stdout`): `<level> <event> key=value ...`.
// zinit adds its own time and service prefix on the console, so lines stay short.

export type Fields = Record<string, unknown>;

export interface Logger {
  info(event: string, fields?: Fields): void;
  warn(event: string, fields?: Fields): void;
  error(event: string, fields?: Fields): void;
  debug(event: string, fields?: Fields): void;
  /** Turns debug lines on or off (`zos-debug` on the kernel command line). */
  setDebug(on: boolean): void;
}

function formatValue(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  return /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s);
}

/** Renders `event k=v k=v` with values quoted only when needed. */
export function formatLine(level: string, event: string, fields: Fields = {}): string {
  const parts = [level, event];
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) parts.push(`${k}=${formatValue(v)}`);
  return parts.join(' ');
}

/** A logger writing to `out` (stdout by default). */
export function createLogger(out: (line: string) => void = (l) => process.stdout.write(l + '\n')): Logger {
  let debugOn = false;
  return {
    info: (e, f) => out(formatLine('info', e, f)),
    warn: (e, f) => out(formatLine('warn', e, f)),
    error: (e, f) => out(formatLine('error', e, f)),
    debug: (e, f) => { if (debugOn) out(formatLine('debug', e, f)); },
    setDebug: (on) => { debugOn = on; },
  };
}
