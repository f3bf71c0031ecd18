// A small fake of zinit's control socket for tests (never shipped): generation 1 byte for byte
// as zinit v0.2.14 answers (sorted keys, no trailing newline, close after the reply, its error
// bodies, as the real one in test/zinit/ checks) and generation 2 (JSON-RPC 2.0, "\n"-terminated
// replies).
// It loads `<dir>/<name>.yaml` on monitor and records every command it was told.
import { createServer, type Server, type Socket } from 'node:net';
import { readFile, rm } from 'node:fs/promises';
import type { TestContext } from 'node:test';
import { sortedJson } from '../../image/zos-init/socket.ts';
import { splitWords as split } from '../../image/zos-init/unit.ts';

/** JSON with object keys sorted, as serde_json's BTreeMap output of zinit v0.2.14. */
export { sortedJson };

interface Svc {
  state: string;
  pid: number;
  target: 'Up' | 'Down';
  after: Record<string, string>;
}

/** A running fake and what it recorded. */
export interface FakeZinit {
  path: string;
  /** Commands in gen-1 form ("monitor dhcp-zos"), whichever generation was spoken. */
  commands: string[];
  /** File content each service was loaded from at `monitor` time. */
  loaded: Map<string, string>;
  services: Map<string, Svc>;
  close(): Promise<void>;
}

class Refused extends Error {}

/** Starts the fake on a unix socket in `dir` (also the config dir), closed after the test. */
export async function startFakeZinit(
  t: Pick<TestContext, 'after'>,
  opts: {
    dir: string;
    generation: 1 | 2;
    services?: Record<string, string>;
    stopDelayMs?: number;
    /**
     * State of a service after its n-th `monitor` (1-based): default Running; `Failure` as for a binary zinit cannot
     * spawn.
     */
    spawnState?: (name: string, n: number) => string;
  },
): Promise<FakeZinit> {
  const path = `${opts.dir}/zinit-${opts.generation}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.sock`;
  const services = new Map<string, Svc>();
  for (const [n, s] of Object.entries(opts.services ?? {}))
    services.set(n, { state: s, pid: s === 'Running' ? 100 : 0, target: 'Up', after: {} });
  const fake: FakeZinit = { path, commands: [], loaded: new Map(), services, close: async () => {} };
  let nextPid = 200;
  const monitors = new Map<string, number>();
  const get = (n: string): Svc => {
    const s = services.get(n);
    if (!s) throw new Refused(`service name ${JSON.stringify(n)} unknown`);
    return s;
  };
  // One command; returns the body of an ok reply or throws Refused with zinit's error body.
  const exec = async (verb: string, name: string | undefined): Promise<unknown> => {
    fake.commands.push(name === undefined ? verb : `${verb} ${name}`);
    if (verb === 'list' && name === undefined) return Object.fromEntries([...services].map(([n, s]) => [n, s.state]));
    if (name === undefined) throw new Refused(`unknown command '${verb}' or wrong arguments count`);
    switch (verb) {
      case 'status': {
        const s = get(name);
        return { after: s.after, name, pid: s.pid, state: s.state, target: s.target };
      }
      case 'start': {
        const s = get(name);
        s.target = 'Up';
        s.state = 'Running';
        s.pid = nextPid++;
        return null;
      }
      case 'stop': {
        const s = get(name);
        s.target = 'Down';
        const pid = s.pid;
        setTimeout(() => {
          s.pid = 0;
          s.state = `Error(Signaled(Pid(${pid}), SIGTERM, false))`;
        }, opts.stopDelayMs ?? 30).unref();
        return null;
      }
      case 'forget': {
        const s = get(name);
        if (s.target === 'Up' || s.pid !== 0) throw new Refused(`service ${JSON.stringify(name)} is up`);
        services.delete(name);
        return null;
      }
      case 'monitor': {
        if (services.has(name)) throw new Refused(`service ${JSON.stringify(name)} already monitored`);
        let text: string;
        try {
          text = await readFile(`${opts.dir}/${name}.yaml`, 'utf8');
          if (!/^exec:/m.test(text)) throw new Error('no exec');
        } catch {
          throw new Refused('failed to load service config');
        }
        fake.loaded.set(name, text);
        const n = (monitors.get(name) ?? 0) + 1;
        monitors.set(name, n);
        const state = opts.spawnState?.(name, n) ?? 'Running';
        services.set(name, { state, pid: state === 'Running' ? nextPid++ : 0, target: 'Up', after: {} });
        return null;
      }
      default:
        throw new Refused(`unknown command '${verb}' or wrong arguments count`);
    }
  };
  const gen1 = (sock: Socket) => {
    let buf = '';
    let answered = false;
    const answer = async (line: string) => {
      if (answered) return;
      answered = true;
      const words = split(line);
      let reply: unknown;
      if (words === null) reply = { state: 'error', body: 'invalid command syntax' };
      else if (!words.length) reply = { state: 'error', body: 'unknown command' };
      else if (words.length > 2)
        reply = { state: 'error', body: `unknown command '${words[0]}' or wrong arguments count` };
      else {
        try {
          reply = { state: 'ok', body: await exec(words[0]!, words[1]) };
        } catch (err) {
          if (!(err instanceof Refused)) throw err;
          reply = { state: 'error', body: err.message };
        }
      }
      sock.end(sortedJson(reply));
    };
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i >= 0) void answer(buf.slice(0, i));
    });
    sock.on('end', () => {
      if (!answered) void answer(buf);
    });
  };
  const gen2 = (sock: Socket) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('end', () => sock.end());
    sock.on('data', async (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let req: { id?: unknown; method?: string; params?: unknown[] };
        try {
          req = JSON.parse(line);
        } catch {
          sock.write(
            JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }) + '\n',
          );
          continue;
        }
        const verb = /^service_(\w+)$/.exec(req.method ?? '')?.[1];
        let reply: Record<string, unknown>;
        if (!verb || !['list', 'status', 'start', 'stop', 'forget', 'monitor'].includes(verb)) {
          reply = { jsonrpc: '2.0', id: req.id, error: { code: -32601, message: 'Method not found' } };
        } else {
          try {
            const name = Array.isArray(req.params) && typeof req.params[0] === 'string' ? req.params[0] : undefined;
            reply = { jsonrpc: '2.0', id: req.id, result: await exec(verb, name) };
          } catch (err) {
            const msg = (err as Error).message.replace(/^service name (".*") unknown$/, 'Service not found: $1');
            reply = { jsonrpc: '2.0', id: req.id, error: { code: -32000, message: msg } };
          }
        }
        sock.write(JSON.stringify(reply) + '\n');
      }
    });
  };
  const server: Server = createServer({ allowHalfOpen: true }, opts.generation === 1 ? gen1 : gen2);
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(path, () => res());
  });
  const open = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  fake.close = async () => {
    for (const s of open) s.destroy();
    await new Promise<void>((res) => server.close(() => res()));
    await rm(path, { force: true });
  };
  t.after(() => fake.close());
  return fake;
}
