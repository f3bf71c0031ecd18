// The daemon's memory under hostile clients: one that pipelines 1M bad requests without reading
// a reply, and 1,000 idle connections. Each scenario runs on a fresh private OVS and daemon.
// Run: node --import tsx test/bench/serve-limits.ts [requests], or `make bench serve-limits`.
import { readFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { startOvs } from '../helpers/ovs.ts';
import { ensureBundle, startDaemon, type Daemon } from '../ovs-plugin/helpers.ts';

/** Name shown by run.ts. */
export const title = 'serve-limits';

type Cleanup = () => unknown;
const rssMb = (pid: number) =>
  Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A fresh OVS + daemon; `fn` measures; everything is torn down after.
async function scenario(
  fn: (d: Daemon, t: { after(f: Cleanup): void }) => Promise<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
  const cleanups: Cleanup[] = [];
  const t = {
    after: (f: Cleanup) => {
      cleanups.push(f);
    },
  };
  try {
    const ovs = await startOvs(t, { vswitchd: false });
    const d = await startDaemon(t, ovs);
    await sleep(500);
    return { 'RSS idle MB': rssMb(d.proc.pid!), ...(await fn(d, t)) };
  } finally {
    for (const f of cleanups.reverse()) await f();
  }
}

// Samples the daemon's RSS every 100 ms while `p` runs; the peak.
async function peakWhile(pid: number, p: Promise<unknown>): Promise<number> {
  let peak = 0;
  let done = false;
  void p.finally(() => {
    done = true;
  });
  while (!done) {
    peak = Math.max(peak, rssMb(pid));
    await sleep(100);
  }
  return peak;
}

/** Runs both scenarios and prints a table. */
export async function run(requests = Number(process.argv[2] ?? 1_000_000)): Promise<void> {
  await ensureBundle();
  const rows: Record<string, unknown>[] = [];
  rows.push({
    scenario: `1 client pipelines ${requests} bad requests, reads nothing`,
    ...(await scenario(async (d, t) => {
      const s = createConnection(d.socket);
      t.after(() => s.destroy());
      s.pause();
      await new Promise((r) => s.once('connect', r));
      const line = '{"jsonrpc":"2.0","id":1,"method":"ovs.nope"}\n';
      const chunk = line.repeat(10_000);
      // Write everything (the client's own buffer takes what the daemon does not read), for at most 20 s.
      // Everything at once: what the daemon does not read waits in the client's own buffer.
      let sent = 0;
      for (; sent < requests; sent += 10_000) s.write(chunk);
      const peak = await peakWhile(d.proc.pid!, sleep(10_000));
      const logBytes = Buffer.byteLength(d.output());
      return {
        'RSS peak MB': peak,
        'RSS after MB': rssMb(d.proc.pid!),
        'requests written': sent,
        'client MB unsent': Math.round(s.writableLength / 2 ** 20),
        'log KB': Math.round(logBytes / 1024),
      };
    })),
  });
  rows.push({
    scenario: '1000 idle connections',
    ...(await scenario(async (d, t) => {
      const socks: Socket[] = [];
      t.after(() => {
        for (const s of socks) s.destroy();
      });
      for (let i = 0; i < 1000; i++) {
        const s = createConnection(d.socket);
        s.on('error', () => undefined);
        socks.push(s);
        await new Promise((r) => s.once('connect', r));
      }
      await sleep(1000);
      const open = socks.filter((s) => !s.destroyed).length;
      return { 'RSS peak MB': rssMb(d.proc.pid!), 'RSS after MB': rssMb(d.proc.pid!), connections: open };
    })),
  });
  console.table(rows);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
