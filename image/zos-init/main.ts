// dist/zos-init.js `init`: the image's fallback init (no zinit in the image): every /etc/zinit
// unit run in its `after:` order, services restarted, zinit's generation-1 socket served.
// (The boot tests' in-node checks are a bundle of their own, test/image/node-checks/.)
import { readdir, readFile } from 'node:fs/promises';
import { writeSync } from 'node:fs';
import { isMissingPath } from '../../lib/errors.ts';
import { loadUnit } from './unit.ts';
import { Supervisor } from './supervisor.ts';
import { serveSocket } from './socket.ts';

const CONFIG_DIR = process.env.ZINIT_CONFIG_DIR ?? '/etc/zinit';
const SOCKET = process.env.ZINIT_SOCKET ?? '/var/run/zinit.sock';

/** KEY=VALUE lines of /etc/environment, zinit's base environment. */
async function baseEnv(): Promise<Record<string, string>> {
  const env: Record<string, string> = { PATH: '/usr/bin:/usr/sbin:/bin:/sbin', HOME: '/root' };
  const text = await readFile('/etc/environment', 'utf8').catch((err: unknown) => {
    if (isMissingPath(err)) return '';
    throw err;
  });
  for (const l of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(l.trim());
    if (m) env[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return env;
}

async function init(): Promise<void> {
  // One write per line, so lines of different units never mix on the console.
  const out = (line: string) => {
    try {
      writeSync(1, `${line}\n`);
    } catch {
      /* console gone */
    }
  };
  const sup = new Supervisor(await baseEnv(), out);
  // The socket first: the agent checks it before it changes anything.
  await serveSocket(sup, CONFIG_DIR, SOCKET);
  out(`zos-init: fallback init serving ${SOCKET}`);
  // Stopped (a test, or PID 1 going down): stop every unit first, as zinit does.
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      void sup.stopAll().then(() => process.exit(0));
    });
  }
  const names = (await readdir(CONFIG_DIR))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -5))
    .sort();
  for (const n of names) {
    try {
      sup.add(await loadUnit(CONFIG_DIR, n));
    } catch (err) {
      out(`zos-init: skipping ${n}: ${(err as Error).message}`);
    }
  }
}

const cmd = process.argv[2];
if (cmd === 'init') {
  process.on('uncaughtException', (err) => {
    writeSync(2, `zos-init: ${err.stack ?? err.message}\n`);
  });
  void init().catch((err: Error) => {
    writeSync(2, `zos-init: ${err.message}\n`);
    process.exit(1);
  });
} else {
  process.stderr.write('usage: zos-init init\n');
  process.exit(2);
}
