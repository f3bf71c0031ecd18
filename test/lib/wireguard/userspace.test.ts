// The wireguard-go backend's lifecycle in a test node: a refused or failed create leaves
// nothing (no process, link, socket or pid file); the caller's undo deletes what create made;
// a SIGKILLed wireguard-go is "no device" and delete cleans up after it; wireguard-go outlives
// the process that started it (a plugin restart keeps every tunnel).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { getLink } from '../../../lib/ip.ts';
import { setupVeth } from '../../../lib/link.ts';
import { UndoStack } from '../../../lib/undo.ts';
import { runIn } from '../../../lib/netns.ts';
import { genlAvailable } from '../../../lib/wireguard/genl.ts';
import { userspaceBackend } from '../../../lib/wireguard/userspace.ts';
import { makeInnerNs, makeWgNode, waitFor } from '../../helpers/wg-node.ts';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** wireguard-go processes whose namespace is the node's (a zombie is not one: its ns link is gone). */
const wgPidsIn = (nodePid: number): number[] =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .map(Number)
    .filter((p) => {
      try {
        return (
          readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('wireguard-go') &&
          readlinkSync(`/proc/${p}/ns/net`) === readlinkSync(`/proc/${nodePid}/ns/net`)
        );
      } catch {
        return false;
      }
    });

test('create refuses a name the host namespace already has; nothing is started', { timeout: 60_000 }, async (t) => {
  const node = await makeWgNode(t);
  const inner = await makeInnerNs(t);
  await setupVeth({ ref: node.net, name: 'w0', peer: 'x0', peerNs: inner.net });
  await assert.rejects(node.backend().create({ name: 'w0', host: node.net, target: inner.net }), { code: 'EWG_START' });
  assert.deepEqual(wgPidsIn(node.pid), []);
  assert.equal((await getLink(node.net, 'w0'))?.linkinfo?.info_kind, 'veth');
});

test('create refuses a device whose wireguard-go already runs, ' +
  'and a program that does not start; the running one is untouched', {
  timeout: 60_000,
}, async (t) => {
  const node = await makeWgNode(t);
  const inner = await makeInnerNs(t);
  const backend = node.backend();
  const dev = await backend.create({ name: 'w0', host: node.net, target: inner.net });
  t.after(() => backend.delete(dev));
  await assert.rejects(backend.create({ name: 'w0', host: node.net, target: inner.net }), { code: 'EWG_START' });
  assert.deepEqual(wgPidsIn(node.pid), [dev.pid]);
  assert.equal((await getLink(inner.net, 'w0'))?.linkinfo?.info_kind, 'tun');
  const missing = userspaceBackend({
    socketDir: node.socketDir,
    stateDir: node.socketDir,
    mountNs: node.mnt,
    program: '/nonexistent/wireguard-go',
  });
  await assert.rejects(missing.create({ name: 'w1', host: node.net, target: inner.net }), { code: 'EWG_START' });
  assert.equal(await getLink(inner.net, 'w1'), undefined);
});

test('a create whose move fails is undone: wireguard-go stopped, ' +
  "no link, socket or pid file; the target's link untouched", {
  timeout: 60_000,
}, async (t) => {
  const node = await makeWgNode(t);
  const inner = await makeInnerNs(t);
  await setupVeth({ ref: inner.net, name: 'w0', peer: 'x0', peerNs: inner.net });
  await assert.rejects(node.backend().create({ name: 'w0', host: node.net, target: inner.net }));
  assert.deepEqual(wgPidsIn(node.pid), []);
  assert.equal(await getLink(node.net, 'w0'), undefined);
  assert.equal((await getLink(inner.net, 'w0'))?.linkinfo?.info_kind, 'veth');
  await waitFor('socket gone', async () => !existsSync(`${node.socketDir}/w0.sock`), 5000);
});

test("the caller's undo deletes what create made", { timeout: 60_000 }, async (t) => {
  const node = await makeWgNode(t);
  const inner = await makeInnerNs(t);
  const undo = new UndoStack();
  const dev = await node.backend().create({ name: 'w-u', host: node.net, target: inner.net, undo });
  assert.ok(dev.pid && alive(dev.pid));
  assert.equal((await getLink(inner.net, 'w-u'))?.linkinfo?.info_kind, 'tun');
  await undo.rollback();
  assert.equal(await getLink(inner.net, 'w-u'), undefined);
  assert.deepEqual(wgPidsIn(node.pid), []);
});

test('a SIGKILLed wireguard-go is EWG_NODEVICE; delete cleans its socket and is idempotent', {
  timeout: 60_000,
}, async (t) => {
  const node = await makeWgNode(t);
  const inner = await makeInnerNs(t);
  const backend = node.backend();
  const dev = await backend.create({ name: 'w-k', host: node.net, target: inner.net });
  t.after(() => backend.delete(dev));
  process.kill(dev.pid!, 'SIGKILL');
  await waitFor('killed and reaped', async () => !alive(dev.pid!), 5000);
  assert.ok(existsSync(`${node.socketDir}/w-k.sock`), 'a killed wireguard-go leaves its socket file');
  await assert.rejects(backend.get(dev), { code: 'EWG_NODEVICE' });
  await backend.delete(dev);
  assert.equal(existsSync(`${node.socketDir}/w-k.sock`), false);
  assert.equal(await getLink(inner.net, 'w-k'), undefined);
  await backend.delete(dev);
});

test('wireguard-go outlives the process that started it (own session)', { timeout: 60_000 }, async (t) => {
  const node = await makeWgNode(t);
  const inner = await makeInnerNs(t);
  const stateDir = `${node.socketDir}`; // the node's own /run: gone with the node
  const userspaceTs = new URL('../../../lib/wireguard/userspace.ts', import.meta.url).pathname;
  const script = `
    import { userspaceBackend } from ${JSON.stringify(userspaceTs)};
    const b = userspaceBackend(${JSON.stringify({ socketDir: node.socketDir, stateDir, mountNs: node.mnt })});
    const d = await b.create({ name: 'w-s', host: ${JSON.stringify(node.net)}, target: ${JSON.stringify(inner.net)} });
    console.log(d.pid);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(code, 0);
  const pid = Number(out.trim());
  t.after(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  const backend = userspaceBackend({ socketDir: node.socketDir, stateDir, mountNs: node.mnt });
  assert.ok(alive(pid));
  assert.equal((await backend.get({ name: 'w-s', netns: inner.net })).peers.length, 0);
  await backend.delete({ name: 'w-s', netns: inner.net });
  assert.equal(alive(pid) && wgPidsIn(node.pid).includes(pid), false);
});

test('chooseBackend: kernel where WireGuard works, else wireguard-go; the probe leaves no link', {
  timeout: 60_000,
}, async (t) => {
  const inner = await makeInnerNs(t);
  // Chosen by a process inside the test's namespace (the question is asked in the caller's own).
  const script =
    "const { chooseBackend } = await import('./lib/wireguard/choose.ts');" +
    'process.stdout.write((await chooseBackend()).kind);';
  const r = await runIn(inner.net, process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    timeoutMs: 60_000,
  });
  assert.equal(r.stdout, (await genlAvailable()) ? 'kernel' : 'userspace');
  const { listLinks } = await import('../../../lib/ip.ts');
  assert.deepEqual(
    (await listLinks(inner.net)).map((l) => l.ifname),
    ['lo'],
  );
});
