// ip(): typed failures (link not found, namespace gone, failed, timed out), listLinks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExecError, IpError, IpTimeoutError, LinkNotFoundError, NetnsGoneError } from '../../lib/errors.ts';
import { getLink, ip, listLinks } from '../../lib/ip.ts';
import { netnsNamed } from '../../lib/netns.ts';
import { makeNetns } from '../helpers/netns.ts';

test('ip: a missing link is LinkNotFoundError naming it, for show, set and del', async (t) => {
  const ns = netnsNamed(await makeNetns(t, 'ti'));
  for (const args of [
    ['link', 'show', 'dev', 'nosuch0'],
    ['link', 'set', 'nosuch0', 'up'],
    ['link', 'del', 'nosuch0'],
    ['addr', 'show', 'dev', 'nosuch0'],
  ]) {
    await assert.rejects(
      ip(ns, args),
      (e: unknown) =>
        e instanceof LinkNotFoundError && e.code === 'ELINKNOTFOUND' && e.link === 'nosuch0' && e instanceof ExecError,
      args.join(' '),
    );
  }
});

test('ip: a namespace that is gone (where it runs, or where a link moves to) is NetnsGoneError', async (t) => {
  await assert.rejects(
    ip(netnsNamed('zz-no-such-ns'), ['link', 'show']),
    (e: unknown) => e instanceof NetnsGoneError && e.code === 'ENETNSGONE',
  );
  const ns = netnsNamed(await makeNetns(t, 'ti'));
  await ip(ns, ['link', 'add', 'name', 'tv0', 'type', 'veth', 'peer', 'name', 'tv1']);
  await assert.rejects(
    ip(ns, ['link', 'set', 'dev', 'tv0', 'netns', 'zz-no-such-ns']),
    (e: unknown) => e instanceof NetnsGoneError && e.netns === 'zz-no-such-ns',
  );
  assert.equal((await getLink(ns, 'tv0'))?.ifname, 'tv0', 'nothing moved');
});

test('ip: any other failure is IpError (EEXEC, stderr kept); a timeout is IpTimeoutError', async (t) => {
  const ns = netnsNamed(await makeNetns(t, 'ti'));
  await assert.rejects(
    ip(ns, ['link', 'add', 'name', 'bad0', 'type', 'no-such-kind']),
    (e: unknown) =>
      e instanceof IpError &&
      !(e instanceof LinkNotFoundError) &&
      e.code === 'EEXEC' &&
      e.exitCode !== undefined &&
      e.stderr.length > 0,
  );
  // `ip monitor` never ends on its own: it can only time out.
  await assert.rejects(
    ip(ns, ['monitor', 'link'], { timeoutMs: 150 }),
    (e: unknown) => e instanceof IpTimeoutError && e.code === 'EEXEC_TIMEOUT' && e.timedOut,
  );
});

test('listLinks: [] only for a named link that does not exist; a gone namespace throws', async (t) => {
  const ns = netnsNamed(await makeNetns(t, 'ti'));
  assert.deepEqual(await listLinks(ns, 'nosuch0'), []);
  assert.deepEqual(
    (await listLinks(ns)).map((l) => l.ifname),
    ['lo'],
  );
  await assert.rejects(listLinks(netnsNamed('zz-no-such-ns')), NetnsGoneError);
  await assert.rejects(listLinks(netnsNamed('zz-no-such-ns'), 'lo'), NetnsGoneError);
});
