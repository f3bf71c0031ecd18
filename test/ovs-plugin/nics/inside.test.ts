// nics/inside.ts: only a missing link reads as "no link"; a namespace gone and any other
// failure of `ip` are errors of their own. A resolv.conf that cannot be read for a reason other
// than "missing" is refused (EINVALID nic.root) and left as it is, never overwritten with our lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, toAppError } from '../../../lib/errors.ts';
import { ip } from '../../../lib/ip.ts';
import { netnsNamed } from '../../../lib/netns.ts';
import { dnsToAdd, removeDns } from '../../../ovs-plugin/nics/inside.ts';
import { addressesOf, linkAddresses } from '../../../ovs-plugin/nics/link-addresses.ts';
import type { NicRecord } from '../../../ovs-plugin/nics/types.ts';
import { makeNetns, randomName } from '../../helpers/netns.ts';

const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: unknown) => toAppError(e).code,
  );

test(
  'inside: a missing link is undefined, ' + 'a gone namespace ENETNSGONE, another ip failure thrown as itself',
  async (t) => {
    const ns = await makeNetns(t, 'tin');
    const ref = netnsNamed(ns);
    await ip(ref, ['link', 'add', 'name', 'a', 'type', 'veth', 'peer', 'name', 'b']);
    await ip(ref, ['addr', 'add', '10.9.8.7/24', 'dev', 'a']);
    assert.deepEqual((await linkAddresses(ref, 'a'))?.addresses, ['10.9.8.7/24']);
    assert.equal(await linkAddresses(ref, 'nosuch0'), undefined);
    assert.deepEqual(await addressesOf(ref, 'nosuch0'), []);
    const gone = netnsNamed(randomName('tgone'));
    assert.equal(await codeOf(linkAddresses(gone, 'a')), Code.ENETNSGONE);
    assert.equal(await codeOf(addressesOf(gone, 'a')), Code.ENETNSGONE);
    // An `ip` that fails for another reason (here: refused) is not "no link".
    const bin = await mkdtemp(join(tmpdir(), 'fake-ip-'));
    t.after(() => rm(bin, { recursive: true, force: true }));
    await writeFile(join(bin, 'ip'), '#!/bin/sh\necho "RTNETLINK answers: Operation not permitted" >&2\nexit 2\n');
    await chmod(join(bin, 'ip'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      assert.equal(await codeOf(linkAddresses(ref, 'a')), Code.EEXEC);
    } finally {
      process.env.PATH = path;
    }
  },
);

test(
  'inside: a resolv.conf that is not a readable regular ' + 'file is refused and left alone, never overwritten',
  async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'nic-root-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    await mkdir(join(root, 'etc'));
    const nic = { type: 'bridge' as const, root, config: { dns: ['10.8.0.54'] } };
    // A directory where the file is (the open succeeds, EISDIR on read): EINVALID, the directory kept.
    await mkdir(join(root, 'etc', 'resolv.conf'));
    await writeFile(join(root, 'etc', 'resolv.conf', 'keep'), 'x');
    const e = await dnsToAdd(nic).then(
      () => undefined,
      (err: unknown) => toAppError(err),
    );
    assert.equal(e?.code, Code.EINVALID);
    assert.match(e!.message, /nic\.root: .*resolv\.conf is not a regular file/);
    assert.ok((await stat(join(root, 'etc', 'resolv.conf'))).isDirectory());
    const rec = { nic, dnsAdded: ['nameserver 10.8.0.54'] } as unknown as NicRecord;
    await removeDns(rec); // detach: not ours to touch, nothing done
    assert.equal(await readFile(join(root, 'etc', 'resolv.conf', 'keep'), 'utf8'), 'x');
    // A link to a host file (ELOOP on the O_NOFOLLOW open): EINVALID, the host file untouched.
    await rm(join(root, 'etc', 'resolv.conf'), { recursive: true });
    const victim = join(root, 'victim');
    await writeFile(victim, 'nameserver 192.0.2.1\n');
    await symlink(victim, join(root, 'etc', 'resolv.conf'));
    const l = await dnsToAdd(nic).then(
      () => undefined,
      (err: unknown) => toAppError(err),
    );
    assert.equal(l?.code, Code.EINVALID);
    assert.match(l!.message, /symbolic link/);
    await removeDns(rec);
    assert.equal(await readFile(victim, 'utf8'), 'nameserver 192.0.2.1\n');
    // Missing is the one reason that reads as empty: every server is to be added.
    await rm(join(root, 'etc', 'resolv.conf'));
    assert.deepEqual(await dnsToAdd(nic), ['nameserver 10.8.0.54']);
  },
);
