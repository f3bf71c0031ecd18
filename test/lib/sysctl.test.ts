// Per-namespace sysctls: another namespace through runIn, never this process's own by mistake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetnsGoneError } from '../../lib/errors.ts';
import { netnsNamed, SELF } from '../../lib/netns.ts';
import { getSysctl, setSysctl } from '../../lib/sysctl.ts';
import { setupVeth } from '../../lib/link.ts';
import { makeNetns } from '../helpers/netns.ts';

test('setSysctl / getSysctl act in the named namespace only (interface names with dots too)', async (t) => {
  const ns = netnsNamed(await makeNetns(t, 'ts'));
  await setupVeth({ ref: ns, name: 'a.5', peer: 'b.5', peerNs: ns });
  const key = 'net/ipv6/conf/a.5/accept_ra';
  await setSysctl(ns, key, 0);
  assert.equal(await getSysctl(ns, key), '0');
  await setSysctl(ns, key, 2);
  assert.equal(await getSysctl(ns, key), '2');
  assert.equal(await getSysctl(SELF, key), undefined, "the link is not in this process's namespace");
  assert.equal(await getSysctl(ns, 'net/ipv6/conf/nosuch0/accept_ra'), undefined);
  assert.equal((await getSysctl(SELF, 'net/ipv6/conf/lo/mtu')) !== undefined, true);
  await assert.rejects(setSysctl(netnsNamed('zz-no-such-ns'), key, 1), NetnsGoneError);
});

test('getSysctl in this namespace: only a missing key is undefined; other failures (a directory) throw', async () => {
  assert.equal(await getSysctl(SELF, 'net/ipv6/conf/nosuch0/accept_ra'), undefined);
  await assert.rejects(getSysctl(SELF, 'net/ipv4'), (e: NodeJS.ErrnoException) => e.code === 'EISDIR');
});
