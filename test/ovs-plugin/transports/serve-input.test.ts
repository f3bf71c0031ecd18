// Hostile lines against a running daemon: a deep id (it used to crash JSON.stringify of the
// reply and leave the socket file), deep values in every member, ids of the wrong type, batches.
// After each, the daemon still answers and its socket is still there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startOvs } from '../../helpers/ovs.ts';
import { ensureBundle, startDaemon } from '../helpers.ts';
import { exchange } from './rpc.ts';

const nest = (n: number, inner = '1') => '['.repeat(n) + inner + ']'.repeat(n);
const ping = '{"jsonrpc":"2.0","id":"ping","method":"ovs.bridge-del","params":{"bridge":"nosuch"}}\n';

test('daemon: no request line can crash it; ids and batches per JSON-RPC 2.0', async (t) => {
  await ensureBundle();
  const ovs = await startOvs(t);
  const d = await startDaemon(t, ovs);
  const alive = async (after: string) => {
    assert.deepEqual(
      await exchange(d.socket, ping, 1),
      [{ jsonrpc: '2.0', id: 'ping', result: '' }],
      `answers after ${after}`,
    );
    assert.ok(existsSync(d.socket), `socket still there after ${after}`);
    assert.equal(d.proc.exitCode, null, d.output());
  };

  for (const [what, line] of <[string, string][]>[
    [
      'an id nested 10000 deep',
      `{"jsonrpc":"2.0","id":${nest(10000)},"method":"ovs.bridge-del","params":{"bridge":"x"}}`,
    ],
    [
      'an object id nested 10000 deep',
      `{"jsonrpc":"2.0","id":${nest(10000, '{}').replace(/\[/g, '{"a":').replace(/\]/g, '}')},"method":"m"}`,
    ],
    ['a method nested deep', `{"jsonrpc":"2.0","id":1,"method":${nest(10000)}}`],
    ['jsonrpc nested deep', `{"jsonrpc":${nest(5000)},"id":1,"method":"m"}`],
    ['an unknown member nested deep', `{"jsonrpc":"2.0","id":1,"method":"m","x":${nest(10000)}}`],
    ['a batch nested deep', nest(20000, '{}')],
  ]) {
    const [r] = await exchange(d.socket, line + '\n', 1);
    assert.equal(r.id, null, what);
    assert.equal(r.error.code, -32600, what);
    await alive(what);
  }

  // Ids that are not a string, number or null: -32600, not echoed.
  for (const id of ['{"a":1}', '[1,2]', 'true', '1e999']) {
    const [r] = await exchange(
      d.socket,
      `{"jsonrpc":"2.0","id":${id},"method":"ovs.bridge-del","params":{"bridge":"x"}}\n`,
      1,
    );
    assert.deepEqual([r.id, r.error.code, r.error.data.code], [null, -32600, 'EREQUEST'], id);
  }
  await alive('bad ids');

  // A batch: one array line, in any order; notifications unanswered, bad elements answered alone.
  const [batch] = await exchange(
    d.socket,
    JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'ovs.bridge-add', params: { bridge: 'bat1' } },
      { jsonrpc: '2.0', method: 'ovs.bridge-add', params: { bridge: 'bat2' } },
      { jsonrpc: '2.0', id: 3, method: 'ovs.vlan-ensure', params: { master: 'bat1', vlan: 5000 } },
      { jsonrpc: '2.0', id: { x: 1 }, method: 'ovs.bridge-del', params: { bridge: 'x' } },
      42,
      { jsonrpc: '2.0', id: 'u', method: 'ovs.nope' },
    ]) + '\n',
    1,
  );
  assert.ok(Array.isArray(batch), JSON.stringify(batch));
  const byId = new Map(batch.filter((r: any) => r.id !== null).map((r: any) => [r.id, r]));
  assert.deepEqual(byId.get(1), { jsonrpc: '2.0', id: 1, result: null });
  assert.equal((byId.get(3) as any).error.data.field, 'vlan');
  assert.equal((byId.get('u') as any).error.code, -32601);
  assert.deepEqual(
    batch.filter((r: any) => r.id === null).map((r: any) => r.error.code),
    [-32600, -32600],
  );
  assert.equal(batch.length, 5, 'the notification has no reply');
  assert.equal(await ovs.vsctl('br-exists', 'bat2'), '', 'but was carried out');
  assert.deepEqual(
    await exchange(d.socket, '[{"jsonrpc":"2.0","method":"ovs.bridge-del","params":{"bridge":"bat2"}}]\n' + ping, 1),
    [{ jsonrpc: '2.0', id: 'ping', result: '' }],
    'a batch of notifications gets no reply at all',
  );
  const [empty] = await exchange(d.socket, '[]\n', 1);
  assert.deepEqual(
    [Array.isArray(empty), empty.id, empty.error.code],
    [false, null, -32600],
    'an empty batch is one error',
  );

  // Nothing the daemon logged was a crash.
  assert.doesNotMatch(d.output(), /ovs-plugin-crashed|ovs-connection-failed|RangeError/);
});
