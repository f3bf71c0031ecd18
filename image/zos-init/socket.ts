// zinit's generation-1 control socket as v0.2.14 speaks it (../../../shared/reference/zinit.md):
// one command line per connection, reply `{"body":...,"state":"ok"|"error"}` with sorted keys
// and no trailing newline, then close.
import { createServer, type Server } from 'node:net';
import { rm } from 'node:fs/promises';
import { splitWords, loadUnit, type Unit } from './unit.ts';
import { Refused, type Supervisor } from './supervisor.ts';

/** JSON with object keys sorted, as zinit's serde output. */
export function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/** Answers one request line. */
export async function answer(
  sup: Supervisor,
  configDir: string,
  line: string,
): Promise<{ state: 'ok' | 'error'; body: unknown }> {
  const words = splitWords(line);
  if (words === null) return { state: 'error', body: 'invalid command syntax' };
  if (!words.length) return { state: 'error', body: 'unknown command' };
  const [verb, name, extra] = words as [string, string | undefined, string | undefined];
  const wrong = { state: 'error' as const, body: `unknown command '${verb}' or wrong arguments count` };
  if (extra !== undefined) return wrong;
  try {
    if (verb === 'list' && name === undefined) return { state: 'ok', body: sup.list() };
    if (name === undefined) return wrong;
    switch (verb) {
      case 'status':
        return { state: 'ok', body: sup.status(name) };
      case 'start':
        sup.start(name);
        return { state: 'ok', body: null };
      case 'stop':
        sup.stop(name);
        return { state: 'ok', body: null };
      case 'forget':
        sup.forget(name);
        return { state: 'ok', body: null };
      case 'monitor': {
        if (sup.services.has(name)) throw new Refused(`service ${JSON.stringify(name)} already monitored`);
        if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Refused('failed to load service config');
        let unit: Unit;
        // Any failure to load (missing, unreadable, malformed): zinit's own answer, word for word.
        try {
          unit = await loadUnit(configDir, name);
        } catch {
          throw new Refused('failed to load service config');
        }
        sup.add(unit);
        return { state: 'ok', body: null };
      }
      default:
        return wrong;
    }
  } catch (err) {
    if (err instanceof Refused) return { state: 'error', body: err.message };
    throw err;
  }
}

/** Serves the socket at `path` (an old file there is replaced). */
export async function serveSocket(sup: Supervisor, configDir: string, path: string): Promise<Server> {
  await rm(path, { force: true });
  const server = createServer((sock) => {
    let buf = '';
    let answered = false;
    const reply = (line: string) => {
      if (answered) return;
      answered = true;
      answer(sup, configDir, line).then(
        (r) => sock.end(sortedJson(r)),
        (err: Error) => sock.end(sortedJson({ state: 'error', body: err.message })),
      );
    };
    sock.setEncoding('utf8');
    sock.on('error', () => sock.destroy());
    sock.on('data', (d: string) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i >= 0) reply(buf.slice(0, i));
    });
    sock.on('end', () => reply(buf));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  return server;
}
