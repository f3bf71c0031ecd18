// Raw JSON-RPC lines for the daemon's tests: send text, collect reply lines.
import { createConnection } from 'node:net';

/** Sends `text` on a fresh connection; resolves with the reply lines once `n` arrived, the daemon closed, or `ms` passed. */
export function exchange(socket: string, text: string, n: number, ms = 5000): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const s = createConnection(socket, () => s.write(text, () => undefined));
    let buf = '';
    let connected = false;
    const lines = () => buf.split('\n').filter((l) => l);
    const done = () => { clearTimeout(timer); s.destroy(); resolve(lines().map((l) => JSON.parse(l))); };
    const timer = setTimeout(done, ms);
    s.setEncoding('utf8');
    s.on('connect', () => { connected = true; });
    s.on('data', (d) => { buf += d; if (lines().length >= n) done(); });
    s.on('close', done);
    // A refused client may see EPIPE on its write after the daemon's line and close.
    s.on('error', (e) => { if (!connected) { clearTimeout(timer); reject(e); } });
  });
}
