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
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s);
}

/** Renders `event k=v k=v` with values quoted only when needed. */
export function formatLine(level: string, event: string, fields: Fields = {}): string {
  const parts = [level, event];
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) parts.push(`${k}=${formatValue(v)}`);
  return parts.join(' ');
}

/**
 * A logger writing to `out` (stdout by default). With debug on, every line also carries `t=`,
 * ms since the process started (where the time goes, without a tracer).
 */
export function createLogger(out: (line: string) => void = (l) => process.stdout.write(l + '\n')): Logger {
  let debugOn = false;
  const line = (level: string, e: string, f?: Fields) =>
    out(formatLine(level, e, debugOn ? { ...f, t: Math.round(performance.now()) } : f));
  return {
    info: (e, f) => line('info', e, f),
    warn: (e, f) => line('warn', e, f),
    error: (e, f) => line('error', e, f),
    debug: (e, f) => {
      if (debugOn) line('debug', e, f);
    },
    setDebug: (on) => {
      debugOn = on;
    },
  };
}

/** A logger writing to stderr: for a process whose stdout carries its answer (the exec transport). */
export const stderrLogger = (): Logger => createLogger((l) => process.stderr.write(l + '\n'));
