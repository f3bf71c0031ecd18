// lib/link.ts on veth pairs in namespaces made per test (this kernel has no dummy links).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinkNotFoundError } from '../../lib/errors.ts';
import { getLink, listLinks } from '../../lib/ip.ts';
import { deleteLink, deleteLinkIfExists, moveLink, moveLinkIn, renameLink, setupVeth } from '../../lib/link.ts';
import { createLogger } from '../../lib/log.ts';
import { netnsNamed } from '../../lib/netns.ts';
import { UndoStack } from '../../lib/undo.ts';
import { makeNetns } from '../helpers/netns.ts';

const names = async (ns: ReturnType<typeof netnsNamed>) =>
  (await listLinks(ns))
    .map((l) => l.ifname)
    .filter((n) => n !== 'lo')
    .sort();

test('setupVeth makes the pair with its peer in the other namespace; its undo deletes both', async (t) => {
  const a = netnsNamed(await makeNetns(t, 'tk'));
  const b = netnsNamed(await makeNetns(t, 'tk'));
  const undo = new UndoStack();
  await setupVeth({ ref: a, name: 'va', peer: 'vb', peerNs: b, mtu: 1400, undo });
  assert.equal((await getLink(a, 'va'))?.mtu, 1400);
  assert.equal((await getLink(b, 'vb'))?.mtu, 1400);
  await undo.rollback();
  assert.deepEqual([await names(a), await names(b)], [[], []]);
});

test('setupVeth with a peer name taken in the target leaves nothing behind', async (t) => {
  const a = netnsNamed(await makeNetns(t, 'tk'));
  const b = netnsNamed(await makeNetns(t, 'tk'));
  await setupVeth({ ref: b, name: 'vb', peer: 'other', peerNs: a });
  await assert.rejects(setupVeth({ ref: a, name: 'va', peer: 'vb', peerNs: b }));
  assert.deepEqual(await names(a), ['other']);
  assert.deepEqual(await names(b), ['vb']);
});

test(
  'deleteLink throws LinkNotFoundError; ' + 'deleteLinkIfExists takes not found and a gone namespace as success',
  async (t) => {
    const a = netnsNamed(await makeNetns(t, 'tk'));
    await setupVeth({ ref: a, name: 'va', peer: 'vb', peerNs: a });
    assert.equal(await deleteLinkIfExists(a, 'va'), true);
    assert.equal(await deleteLinkIfExists(a, 'va'), false);
    assert.equal(await deleteLinkIfExists(netnsNamed('zz-no-such-ns'), 'va'), false);
    await assert.rejects(deleteLink(a, 'va'), (e: unknown) => e instanceof LinkNotFoundError && e.link === 'va');
  },
);

test('renameLink renames, its undo renames back', async (t) => {
  const a = netnsNamed(await makeNetns(t, 'tk'));
  await setupVeth({ ref: a, name: 'va', peer: 'vb', peerNs: a });
  const undo = new UndoStack();
  await renameLink(a, 'va', 'vc', undo);
  assert.deepEqual(await names(a), ['vb', 'vc']);
  await undo.rollback();
  assert.deepEqual(await names(a), ['va', 'vb']);
});

test(
  'moveLinkIn moves under a temporary name and renames there, ' + 'even onto a name taken at home; undo brings it back',
  async (t) => {
    const host = netnsNamed(await makeNetns(t, 'tk'));
    const box = netnsNamed(await makeNetns(t, 'tk'));
    await setupVeth({ ref: host, name: 'eth1', peer: 'p1', peerNs: host });
    await setupVeth({ ref: box, name: 'eth0', peer: 'x0', peerNs: box });
    const undo = new UndoStack();
    assert.equal(await moveLinkIn({ from: host, name: 'p1', to: box, as: 'eth1', undo }), 'eth1');
    assert.deepEqual(await names(box), ['eth0', 'eth1', 'x0']);
    assert.deepEqual(await names(host), ['eth1']);
    await undo.rollback();
    assert.deepEqual(await names(box), ['eth0', 'x0']);
    assert.deepEqual(await names(host), ['eth1', 'p1']);
  },
);

test('moveLinkIn onto a name taken in the target: fails, undo leaves both namespaces as they were', async (t) => {
  const host = netnsNamed(await makeNetns(t, 'tk'));
  const box = netnsNamed(await makeNetns(t, 'tk'));
  await setupVeth({ ref: host, name: 'h1', peer: 'h2', peerNs: host });
  await setupVeth({ ref: box, name: 'eth0', peer: 'x0', peerNs: box });
  const undo = new UndoStack(createLogger(() => {}));
  await assert.rejects(moveLinkIn({ from: host, name: 'h1', to: box, as: 'eth0', undo }));
  await undo.rollback();
  assert.deepEqual(await names(host), ['h1', 'h2']);
  assert.deepEqual(await names(box), ['eth0', 'x0']);
});

test('moveLink keeps the name; its undo moves it back', async (t) => {
  const host = netnsNamed(await makeNetns(t, 'tk'));
  const box = netnsNamed(await makeNetns(t, 'tk'));
  await setupVeth({ ref: host, name: 'm1', peer: 'm2', peerNs: host });
  const undo = new UndoStack();
  await moveLink(host, 'm1', box, undo);
  assert.deepEqual(await names(box), ['m1']);
  await undo.rollback();
  assert.deepEqual(await names(host), ['m1', 'm2']);
});
