// lib/rtnl-socket.ts: an in-process rtnetlink refusal is its own typed error (ERTNL) naming the
// kernel's errno, retryable only where a retry can help; ENODEV stays LinkNotFoundError. The
// kernel case runs in a small node program inside a namespace made for the test (Node cannot setns).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ip } from '../../lib/ip.ts';
import { netnsNamed } from '../../lib/netns.ts';
import { AppError, Code, ExecError, InternalError, LinkNotFoundError, RtnlError } from '../../lib/errors.ts';
import { refusal, rtnlError } from '../../lib/rtnl-socket.ts';
import { makeNetns, runIn } from '../helpers/netns.ts';

const rejected = (errno: string) => new Error(`Request rejected: ${errno}`);

test('rtnlError: each refused errno is ERTNL naming it, retryable only for a busy or short kernel', () => {
  const cases: [string, boolean][] = [
    ['EINVAL', false],
    ['EEXIST', false],
    ['EOPNOTSUPP', false],
    ['EPERM', false],
    ['ERANGE', false],
    ['EBUSY', true],
    ['EAGAIN', true],
    ['ENOBUFS', true],
    ['EINTR', true],
    ['ENOMEM', true],
  ];
  for (const [errno, retryable] of cases) {
    const e = rtnlError('set link a mtu 1', rejected(errno), 'a');
    assert.ok(e instanceof RtnlError, errno);
    assert.ok(!(e instanceof ExecError), `${errno}: no child ran, so no exec error`);
    assert.deepEqual(
      [e.code, e.errno, e.request, e.link, e.retryable, e.family],
      [Code.ERTNL, errno, 'set link a mtu 1', 'a', retryable, 'kernel'],
      errno,
    );
    assert.equal(e.message, `rtnetlink set link a mtu 1: ${errno}`);
    assert.deepEqual(e.toJSON(), {
      code: Code.ERTNL,
      message: e.message,
      request: 'set link a mtu 1',
      errno,
      link: 'a',
    });
  }
});

test('rtnlError: ENODEV is LinkNotFoundError; a socket system error ERTNL by its code; anything else EINTERNAL', () => {
  const nodev = rtnlError('set link x up', rejected('ENODEV'), 'x');
  assert.ok(nodev instanceof LinkNotFoundError);
  assert.deepEqual([nodev.code, nodev.link], [Code.ELINKNOTFOUND, 'x']);
  const sys = Object.assign(new Error('send ENOBUFS'), { code: 'ENOBUFS' });
  assert.equal(refusal(sys), 'ENOBUFS');
  const s = rtnlError('dump links', sys);
  assert.ok(s instanceof RtnlError && s.retryable && s.errno === 'ENOBUFS');
  const odd = rtnlError('dump links', new Error('Unexpected ERROR message received'));
  assert.ok(odd instanceof InternalError);
  assert.equal(odd.code, Code.EINTERNAL);
  assert.equal(refusal(new Error('Unexpected ERROR message received')), undefined);
});

test(
  'rtnl: an in-process EINVAL from the kernel is ERTNL naming EINVAL, ' + 'not retryable; a missing link ELINKNOTFOUND',
  async (t) => {
    const ns = await makeNetns(t, 'trs');
    await ip(netnsNamed(ns), ['link', 'add', 'name', 'a', 'type', 'veth', 'peer', 'name', 'b']);
    const code = `import('${process.cwd()}/lib/rtnl.ts').then(async (rtnl) => {
    const seen = (p) => p.then(() => ({ ok: true }),
      (e) => ({ code: e.code, errno: e.errno, retryable: e.retryable, exec: 'exitCode' in e }));
    console.log(JSON.stringify({ inProcess: await rtnl.inProcess({ self: true }),
      einval: await seen(rtnl.setLink({ self: true }, 'a', { mtu: 1 })),
      missing: await seen(rtnl.setLinkUp({ self: true }, 'nosuch0', true)) }));
  });`;
    const r = await runIn(ns, 'node', ['--import', 'tsx', '-e', code], { timeoutMs: 60_000 });
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.equal(out.inProcess, true);
    assert.deepEqual(out.einval, { code: Code.ERTNL, errno: 'EINVAL', retryable: false, exec: false });
    assert.equal(out.missing.code, Code.ELINKNOTFOUND);
    assert.ok(new RtnlError('x', 'EINVAL') instanceof AppError);
  },
);
