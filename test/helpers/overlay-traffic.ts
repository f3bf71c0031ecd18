// Traffic for the overlay tests: one ping, pings until an answer (bounded), a ping loop every
// 10 ms counted for loss (back-to-back bounded segments, so stopping never cuts a packet in
// flight), and a TCP transfer between two places with the largest gap between arrivals (a
// black-holed segment shows as a stall of seconds, then a timeout).
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { runAt, type Place } from './overlay-world.ts';

const family = (to: string): string[] => (to.includes(':') ? ['-6'] : ['-4']);

/** One echo request, `waitS` seconds for the answer. */
export async function pingOnce(from: Place, to: string, waitS = 1): Promise<boolean> {
  const r = await runAt(from, 'ping', [...family(to), '-n', '-c', '1', '-W', String(waitS), to], {
    allowFailure: true,
    timeoutMs: (waitS + 30) * 1000,
  });
  return r.exitCode === 0;
}

/** Pings until `to` answers, at most `tries` tries of 1 s; throws naming both ends. */
export async function pingUntil(from: Place, to: string, tries = 30): Promise<void> {
  for (let i = 0; i < tries; i++) if (await pingOnce(from, to)) return;
  throw new Error(`${from.label}: no answer from ${to} in ${tries} tries`);
}

/** Sent and answered echo requests of a ping loop. */
export interface Loss {
  sent: number;
  received: number;
  lost: number;
}

/** A running ping loop; stop() lets the current segment finish and sums them. */
export interface PingLoop {
  readonly label: string;
  stop(): Promise<Loss>;
}

/**
 * Pings `to` every 10 ms in segments of `segment` requests (each waits up to 2 s for its last
 * answers) back to back until stop(), at most `maxSegments` of them.
 */
export function pingLoop(from: Place, to: string, segment = 100, maxSegments = 600): PingLoop {
  let stopping = false;
  const total: Loss = { sent: 0, received: 0, lost: 0 };
  const done = (async () => {
    for (let i = 0; i < maxSegments && !stopping; i++) {
      const r = await runAt(
        from,
        'ping',
        [...family(to), '-n', '-q', '-i', '0.01', '-c', String(segment), '-W', '2', to],
        { allowFailure: true, timeoutMs: 60_000 },
      );
      const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(r.stdout);
      if (!m) throw new Error(`${from.label} -> ${to}: ping printed no statistics: ${r.stdout} ${r.stderr}`);
      total.sent += Number(m[1]);
      total.received += Number(m[2]);
    }
    total.lost = total.sent - total.received;
    return total;
  })();
  return {
    label: `${from.label} -> ${to}`,
    stop: () => {
      stopping = true;
      return done;
    },
  };
}

/** Result of a TCP transfer. */
export interface Transfer {
  bytes: number;
  ms: number;
  maxGapMs: number;
}

// Server: accepts one connection, counts bytes, notes the largest gap between arrivals.
const SERVER = `const s=require('net').createServer((c)=>{let n=0,last=Date.now(),gap=0;const t0=Date.now();
c.on('data',(d)=>{const now=Date.now();gap=Math.max(gap,now-last);last=now;n+=d.length;});
c.on('end',()=>{c.end(JSON.stringify({bytes:n,ms:Date.now()-t0,maxGapMs:gap}));s.close();});});
s.listen(Number(process.argv[1]),'::',()=>console.log('listening'));`;
const CLIENT = `const [host,port,size]=process.argv.slice(1);const c=require('net').connect(Number(port),host,()=>{
const chunk=Buffer.alloc(65536,7);let left=Number(size);\
const go=()=>{while(left>0){const n=Math.min(left,chunk.length);left-=n;
if(!c.write(chunk.subarray(0,n))){c.once('drain',go);return;}}c.end();};go();});let out='';c.on('data',(d)=>out+=d);
c.on('end',()=>{console.log(out);});c.on('error',(e)=>{console.error(e.message);process.exit(1);});`;

/** Sends `bytes` over TCP from `client` to `server` at `addr` (IPv4 or IPv6), within `ms`. */
export async function tcpTransfer(
  server: Place,
  client: Place,
  addr: string,
  bytes = 2 * 1024 * 1024,
  ms = 60_000,
): Promise<Transfer> {
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const [file, ...args] = server.command('node', ['-e', SERVER, port]);
  const srv = spawn(file!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    srv.stdout!.on('data', (d) => {
      out += d;
    });
    const end = Date.now() + 30_000;
    while (!out.includes('listening')) {
      if (srv.exitCode !== null || Date.now() > end) throw new Error(`tcp server at ${server.label} did not listen`);
      await sleep(20);
    }
    const r = await runAt(client, 'node', ['-e', CLIENT, addr, port, String(bytes)], { timeoutMs: ms });
    return JSON.parse(r.stdout.trim()) as Transfer;
  } finally {
    srv.kill('SIGKILL');
  }
}
