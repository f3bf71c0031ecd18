// Raw JSON-RPC lines for the daemon's tests: send text, collect reply lines.
import { createConnection, type Socket } from 'node:net';

/**
 * Connects to `socket`; a connect refused with EAGAIN (the listen backlog full while a loaded daemon accepts slowly) is
 * tried again, up to `tries` times with a short growing pause.
 */
export async function connectRetrying(socket: string, tries = 50): Promise<Socket> {
  for (let i = 1; ; i++) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = createConnection(socket, () => {
          s.off('error', reject);
          resolve(s);
        });
        s.once('error', reject);
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN' || i >= tries) throw e;
      await new Promise((r) => setTimeout(r, Math.min(10 * i, 200)));
    }
  }
}

/**
 * Sends `text` on a fresh connection; resolves with the reply lines once `n` arrived, the daemon closed, or `ms`
 * passed.
 */
export async function exchange(socket: string, text: string, n: number, ms = 5000): Promise<any[]> {
  const s = await connectRetrying(socket);
  return new Promise((resolve) => {
    s.write(text, () => undefined);
    let buf = '';
    const lines = () => buf.split('\n').filter((l) => l);
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(lines().map((l) => JSON.parse(l)));
    };
    const timer = setTimeout(done, ms);
    s.setEncoding('utf8');
    s.on('data', (d) => {
      buf += d;
      if (lines().length >= n) done();
    });
    s.on('close', done);
    // A refused client may see EPIPE on its write after the daemon's line and close.
    s.on('error', () => undefined);
  });
}
