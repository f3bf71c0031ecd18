// The error registry: docs/errors.md lists exactly its codes with the same family and
// retryability, no source file outside lib/errors.ts writes a code string, and the OVSDB
// transaction errors get one class per RFC 7047 name, carrying the failing operation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  AppError,
  Code,
  codeSpec,
  ExecError,
  fromWire,
  IpError,
  IpTimeoutError,
  LinkNotFoundError,
  NetnsGoneError,
  OvsdbConstraintViolationError,
  OvsdbTimedOutError,
  OvsdbTxnError,
  ovsdbTxnError,
  toAppError,
  ValidationError,
  zosNotBridge,
  type ErrorCode,
} from '../../lib/errors.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** Rows of the markdown table whose header starts with `first`, as arrays of cells. */
function table(md: string, first: string): string[][] {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${first} |`));
  assert.ok(start >= 0, `table starting with ${first}`);
  const rows: string[][] = [];
  for (const l of lines.slice(start + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(
      l
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim().replace(/^`([^`]*)`$/, '$1')),
    );
  }
  return rows;
}

test("docs/errors.md lists every code once, with the registry's family and retryability", async () => {
  const rows = table(await readFile(join(ROOT, 'docs/errors.md'), 'utf8'), 'code');
  const documented = rows.map((r) => r[0]!);
  assert.deepEqual([...documented].sort(), Object.keys(Code).sort());
  for (const [code, family, retryable] of rows) {
    const spec = codeSpec(code as ErrorCode);
    assert.equal(family, spec.family, code);
    if (code === Code.EOVSDB_TXN) assert.equal(retryable, 'by `error`');
    else if (code === Code.ERTNL) assert.equal(retryable, 'by `errno`');
    else assert.equal(retryable, spec.retryable ? 'yes' : 'no', code);
  }
});

test('docs/errors.md: each RFC 7047 error name has its class and retryability', async () => {
  const rows = table(await readFile(join(ROOT, 'docs/errors.md'), 'utf8'), '`error`');
  assert.ok(rows.length >= 15);
  for (const [name, cls, retryable] of rows) {
    const e = ovsdbTxnError(2, { op: 'insert', table: 'Port' }, name!, 'why');
    assert.equal(e.constructor.name, cls, name);
    assert.ok(e instanceof OvsdbTxnError);
    assert.equal(e.code, Code.EOVSDB_TXN);
    assert.equal(e.retryable, retryable === 'yes', name);
  }
});

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(join(ROOT, dir), { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) out.push(...(await sources(p)));
    else if (/\.(ts|mjs)$/.test(d.name)) out.push(p);
  }
  return out;
}

test('only lib/errors.ts writes error code strings', async () => {
  const offenders: string[] = [];
  for (const dir of ['lib', 'internet', 'ovs-plugin', 'zinit', 'image']) {
    for (const f of await sources(dir).catch(() => [])) {
      if (f === join('lib', 'errors.ts')) continue;
      const text = await readFile(join(ROOT, f), 'utf8');
      for (const m of text.matchAll(/['"`](E[A-Z][A-Z0-9_]+)['"`]/g)) offenders.push(`${f}: ${m[1]}`);
    }
  }
  assert.deepEqual(offenders, [], "compare with Code.X, throw with the registry's classes and factories");
});

test('a transaction error names the failing operation; the commit error has none', () => {
  const op = { op: 'insert', table: 'Bridge' };
  const e = ovsdbTxnError(1, op, 'constraint violation', 'no such row');
  assert.ok(e instanceof OvsdbConstraintViolationError);
  assert.equal(e.op, op);
  assert.equal(e.message, 'OVSDB operation 1 (insert Bridge) failed: constraint violation: no such row');
  assert.deepEqual(e.toJSON(), {
    code: 'EOVSDB_TXN',
    message: e.message,
    opIndex: 1,
    error: 'constraint violation',
    ovsdbDetails: 'no such row',
    op: 'insert',
    table: 'Bridge',
  });
  const commit = ovsdbTxnError(3, undefined, 'timed out', undefined);
  assert.ok(commit instanceof OvsdbTimedOutError && commit.retryable);
  assert.match(commit.message, /^OVSDB commit failed: timed out$/);
  const odd = ovsdbTxnError(0, op, 'something new', undefined);
  assert.equal(odd.constructor, OvsdbTxnError);
  assert.equal(odd.retryable, false);
});

test('errors carry their code, family, retryability and class name', () => {
  const v = new ValidationError('vlan', 'out of range');
  assert.deepEqual(
    [v.code, v.family, v.retryable, v.name, v.message, v.field],
    ['EINVALID', 'validation', false, 'ValidationError', 'vlan: out of range', 'vlan'],
  );
  const z = zosNotBridge('veth');
  assert.deepEqual([z.code, z.family, z.retryable, z.name], ['EZOSNOTBRIDGE', 'agent', false, 'AgentError']);
  const f = { command: 'ip -n probe-1 link set eth9 up', exitCode: 1, stderr: 'Cannot find device "eth9"\n' };
  const l = new LinkNotFoundError(f, 'eth9');
  assert.deepEqual(
    [l.code, l.family, l.retryable, l.link, l.details.link],
    ['ELINKNOTFOUND', 'kernel', true, 'eth9', 'eth9'],
  );
  assert.ok(l instanceof IpError && l instanceof ExecError);
  const g = new NetnsGoneError({ ...f, stderr: 'Invalid "netns" value' }, '/proc/1/ns/net');
  assert.deepEqual([g.code, g.retryable, g.netns], ['ENETNSGONE', false, '/proc/1/ns/net']);
  assert.equal(new IpTimeoutError({ ...f, stderr: '', timeoutMs: 15000 }).code, 'EEXEC_TIMEOUT');
  assert.equal(new IpError(f).code, 'EEXEC');
  const i = toAppError(new TypeError('boom'));
  assert.deepEqual([i.code, i.family, i.name, i.message], ['EINTERNAL', 'general', 'InternalError', 'boom']);
  assert.ok(i.cause instanceof TypeError);
  assert.equal(toAppError(v), v);
});

test('exec errors: exit status, signal, timeout and spawn failure are apart', () => {
  const exit = new ExecError({ command: 'ip link del x', exitCode: 1, stderr: 'Cannot find device "x"\n' });
  assert.deepEqual([exit.code, exit.message], ['EEXEC', 'ip link del x: exited 1: Cannot find device "x"']);
  const killed = new ExecError({ command: 'udhcpc', signal: 'SIGKILL', stderr: '' });
  assert.deepEqual([killed.code, killed.message], ['EEXEC', 'udhcpc: killed by SIGKILL']);
  const slow = new ExecError({
    command: 'ip -j link',
    timedOut: true,
    timeoutMs: 100,
    signal: 'SIGKILL',
    stderr: 'partial',
  });
  assert.deepEqual(
    [slow.code, slow.message, slow.retryable],
    ['EEXEC_TIMEOUT', 'ip -j link: timed out after 100 ms: partial', true],
  );
  assert.equal(
    new ExecError({ command: 'nosuch', spawnError: 'ENOENT', stderr: '' }).message,
    'nosuch: could not run (ENOENT)',
  );
  assert.equal(new ExecError({ command: 'nosuch', spawnError: 'ENOENT', stderr: '' }).code, 'EEXEC_SPAWN');
});

test('a daemon error read back from the wire keeps its code; an unknown code is EPROTO', () => {
  const e = fromWire({ code: 'ECONFLICT', message: 'tag 5 is on another master', field: 'vlan' }, 'x');
  assert.ok(e instanceof AppError);
  assert.deepEqual(
    [e.code, e.message, e.details.field, e.retryable],
    ['ECONFLICT', 'tag 5 is on another master', 'vlan', false],
  );
  const odd = fromWire({ code: 'EFUTURE', message: 'new' }, 'x');
  assert.equal(odd.code, 'EPROTO');
  assert.match(odd.message, /EFUTURE/);
  assert.equal(fromWire({}, 'Method not found (JSON-RPC -32601)').code, 'EPROTO');
});

test('errno predicates name the one error a fallback expects', async () => {
  const { isAccessDenied, isMissingPath, isNotDirectory, isNotPermitted, isProcessGone, isSymlinkLoop } = await import(
    '../../lib/errors.ts'
  );
  let killed: unknown;
  try {
    process.kill(0x7ffffffe, 0);
  } catch (err) {
    killed = err;
  }
  assert.ok(isProcessGone(killed) && !isMissingPath(killed));
  const e = (code: string) => Object.assign(new Error(code), { code });
  assert.deepEqual(
    [
      isMissingPath(e('ENOENT')),
      isSymlinkLoop(e('ELOOP')),
      isNotDirectory(e('ENOTDIR')),
      isNotPermitted(e('EPERM')),
      isAccessDenied(e('EACCES')),
      isAccessDenied(e('EPERM')),
    ],
    [true, true, true, true, true, true],
  );
  assert.deepEqual(
    [isMissingPath(e('EACCES')), isProcessGone(e('ENOENT')), isSymlinkLoop(e('ENOENT')), isNotPermitted(e('EACCES'))],
    [false, false, false, false],
  );
});

test(
  'a kernel refusal is an in-process ERTNL or an ip that exited non-zero; ' + 'not a timeout, a link or namespace gone',
  async () => {
    const { isKernelRefusal, RtnlError } = await import('../../lib/errors.ts');
    const f = {
      command: 'ip link set zos type bridge vlan_filtering 1',
      exitCode: 2,
      stderr: 'RTNETLINK answers: Operation not supported\n',
    };
    assert.equal(isKernelRefusal(new RtnlError('set link zos vlan_filtering 1', 'EOPNOTSUPP', 'zos')), true);
    assert.equal(isKernelRefusal(new IpError(f)), true);
    assert.equal(isKernelRefusal(new IpTimeoutError({ ...f, exitCode: undefined, timeoutMs: 15000 })), false);
    assert.equal(isKernelRefusal(new LinkNotFoundError(f, 'zos')), false);
    assert.equal(isKernelRefusal(new NetnsGoneError(f, 'gone')), false);
    assert.equal(isKernelRefusal(new Error('x')), false);
  },
);
