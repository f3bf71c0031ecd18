// The typed client's errors against a scripted daemon on a private socket: the daemon's code
// comes back as it was sent, an unknown code or an unreadable reply is EPROTO, a lost
// connection is ECONN, and a client its owner closed fails with ECLOSED.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OvsPluginClient } from '../../../ovs-plugin/transports/client.ts';

/** A daemon stand-in: `answer` gets each request and returns the reply line (or nothing). */
async function fakeDaemon(
  t: import('node:test').TestContext,
  answer: (req: { id: number; method: string }, sock: Socket) => string | undefined,
) {
  const dir = await mkdtemp(join(tmpdir(), 'ovs-client-'));
  const path = join(dir, 'plugin.sock');
  const socks = new Set<Socket>();
  const server = createServer((sock) => {
    socks.add(sock);
    sock.setEncoding('utf8');
    let buf = '';
    sock.on('data', (d: string) => {
      buf += d;
      for (let i: number; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) {
        const out = answer(JSON.parse(buf.slice(0, i)), sock);
        if (out !== undefined) sock.write(out + '\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  t.after(async () => {
    for (const s of socks) s.destroy();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });
  return path;
}

const rpcError = (id: number, data: object) =>
  JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32000, message: 'failed', data } });

test("the daemon's code and field come back as they were sent; an unknown code is EPROTO", async (t) => {
  const path = await fakeDaemon(t, (req) =>
    req.method === 'ovs.vlan-ensure'
      ? rpcError(req.id, { code: 'ECONFLICT', message: 'vlan 5 is patched into other', field: 'vlan' })
      : rpcError(req.id, { code: 'EFROMTHEFUTURE', message: 'new' }),
  );
  const c = await OvsPluginClient.connect(path);
  t.after(() => c.close());
  await assert.rejects(
    c.vlanEnsure({ master: 'b', vlan: 5 }),
    (e: { code: string; details: { field?: string }; retryable: boolean }) =>
      e.code === 'ECONFLICT' && e.details.field === 'vlan' && !e.retryable,
  );
  await assert.rejects(c.bridgeDel({ bridge: 'b' }), { code: 'EPROTO' });
});

test('an unreadable reply is EPROTO; a lost connection ECONN; a closed client ECLOSED', async (t) => {
  const path = await fakeDaemon(t, (req, sock) => {
    if (req.method === 'ovs.bridge-del') return 'not json';
    if (req.method === 'ovs.port-del') {
      sock.destroy();
      return undefined;
    }
    return undefined; // never answered
  });
  const bad = await OvsPluginClient.connect(path);
  await assert.rejects(bad.bridgeDel({ bridge: 'b' }), { code: 'EPROTO' });
  bad.close();
  const lost = await OvsPluginClient.connect(path);
  await assert.rejects(lost.portDel({ port: 'p' }), { code: 'ECONN' });
  lost.close();
  const mine = await OvsPluginClient.connect(path);
  const pending = mine.vtepDel({ vnid: 7 });
  mine.close();
  await assert.rejects(pending, { code: 'ECLOSED' });
  await assert.rejects(mine.vtepDel({ vnid: 7 }), { code: 'ECLOSED' });
  await assert.rejects(OvsPluginClient.connect(join(path, '..', 'nobody.sock')), { code: 'ECONN' });
});
