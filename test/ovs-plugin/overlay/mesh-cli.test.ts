// `ovs-plugin mesh ...` through runMesh: each command's output, and each bad flag refused with
// exit 2, an error naming the flag, and the plan file byte for byte as it was (no temporary file
// left beside it either).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNetworkDocument } from '../../../ovs-plugin/overlay/document.ts';
import { runMesh } from '../../../ovs-plugin/overlay/mesh-cli.ts';
import { parsePlan } from '../../../ovs-plugin/overlay/plan-file.ts';

interface Run {
  code: number;
  out: string;
  err: string;
}
async function mesh(...argv: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runMesh(
    argv,
    {
      write: (s: string) => {
        out += s;
      },
    },
    {
      write: (s: string) => {
        err += s;
      },
    },
  );
  return { code, out, err };
}

async function planDir(t: TestContext): Promise<{ dir: string; plan: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'mesh-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return { dir, plan: join(dir, 'plan.json') };
}

/** A plan with a dual-stack node a, a hidden node h, an IPv4 node b and one access through a. */
async function sample(plan: string): Promise<void> {
  for (const argv of [
    ['create', '--plan', plan, '--name', 'demo', '--ip-range', '10.20.0.0/16'],
    ['add-node', '--plan', plan, '--node', 'a', '--endpoint', '203.0.113.1', '--endpoint=2001:db8::1'],
    ['add-node', '--plan', plan, '--node', 'h'],
    ['add-node', '--plan', plan, '--node', 'b', '--endpoint', '203.0.113.2', '--port', '51820'],
    ['add-access', '--plan', plan, '--node', 'a', '--name', 'laptop'],
  ])
    assert.equal((await mesh(...argv)).code, 0, argv.join(' '));
}

test('create, add-node, add-access, documents, remove-*: outputs and the plan they leave', async (t) => {
  const { plan } = await planDir(t);
  const c = await mesh('create', '--plan', plan, '--name', 'demo', '--ip-range', '10.20.0.0/16');
  assert.equal(c.code, 0, c.err);
  assert.deepEqual(Object.keys(JSON.parse(c.out)), ['name', 'netid', 'ip_range']);
  assert.equal((await stat(plan)).mode & 0o777, 0o600);
  const n = await mesh(
    'add-node',
    '--plan',
    plan,
    '--node',
    'a',
    '--endpoint',
    '203.0.113.1',
    '--endpoint',
    '2001:db8::1',
  );
  assert.equal(n.code, 0, n.err);
  assert.equal(JSON.parse(n.out).subnet, '10.20.2.0/24');
  const h = await mesh('add-node', '--plan', plan, '--node', 'h');
  assert.equal(JSON.parse(h.out).relay, 'a');
  const a = await mesh('add-access', '--plan', plan, '--node', 'a');
  assert.equal(a.code, 0, a.err);
  assert.match(a.out, /^\[Interface\]\n/);
  assert.match(a.out, /\nEndpoint = \[2001:db8::1\]:\d+\n/);
  assert.match(
    a.out,
    /\nAllowedIPs = 10\.20\.0\.0\/16, 100\.64\.0\.0\/16, fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::\/48\n/,
  );
  assert.match(a.out, /\nPersistentKeepalive = 25\n/);
  assert.match(a.out, /\nMTU = 1420\n/);
  assert.match(a.out, /\nAddress = 100\.64\.20\.4\/32, fd[0-9a-f:]+:4::1\/128\n/);
  const a4 = await mesh('add-access', '--plan', plan, '--node', 'a', '--ipv4', '--name', 'v4', '--mtu', '1280');
  assert.match(a4.out, /\nEndpoint = 203\.0\.113\.1:\d+\n/);
  assert.match(a4.out, /\nMTU = 1280\n/);
  const saved = parsePlan(JSON.parse(await readFile(plan, 'utf8')));
  assert.deepEqual(
    saved.accesses.map((x) => x.name),
    ['access1', 'v4'],
  );

  const all = await mesh('documents', '--plan', plan);
  assert.equal(all.code, 0, all.err);
  const docs = JSON.parse(all.out);
  assert.deepEqual(Object.keys(docs), ['a', 'h']);
  for (const d of Object.values(docs) as any[]) parseNetworkDocument(d.network);
  for (const x of saved.accesses) assert.ok(!all.out.includes(x.private_key));
  const one = await mesh('documents', '--plan', plan, '--node', 'h');
  assert.deepEqual(JSON.parse(one.out), docs.h);

  assert.equal((await mesh('remove-access', '--plan', plan, '--name', 'access1')).code, 0);
  assert.equal((await mesh('remove-access', '--plan', plan, '--name', 'v4')).code, 0);
  const r = await mesh('remove-node', '--plan', plan, '--node', 'a');
  assert.equal(r.code, 0, r.err);
  const left = parsePlan(JSON.parse(await readFile(plan, 'utf8')));
  assert.deepEqual(
    left.nodes.map((x) => [x.id, x.relay]),
    [['h', undefined]],
  );
  assert.deepEqual(left.retired, ['10.20.4.0/24', '10.20.5.0/24', '10.20.2.0/24']);
});

// [argv after --plan F, field named in the error]; each is run against the sample plan.
const BAD: [string[], string][] = [
  [['create', '--name', 'x', '--ip-range', '10.1.0.0/16'], '--plan'],
  [['add-node', '--node', 'a'], '--node'],
  [['add-node', '--node', 'bad id'], '--node'],
  [['add-node', '--node', 'z', '--endpoint', 'nope'], '--endpoint'],
  [['add-node', '--node', 'z', '--endpoint', '10.20.3.3'], '--endpoint'],
  [['add-node', '--node', 'z', '--endpoint', '203.0.113.5', '--endpoint', '203.0.113.6'], '--endpoint'],
  [['add-node', '--node', 'z', '--port', '0'], '--port'],
  [['add-node', '--node', 'z', '--port', '65536'], '--port'],
  [['add-node', '--node', 'z', '--port', 'x'], '--port'],
  [['add-node', '--node', 'z', '--port'], '--port'],
  [['add-node', '--node', 'z', '--port', '1', '--port', '2'], '--port'],
  [['add-node', '--node', 'z', '--colour', 'red'], '--colour'],
  [['add-node'], '--node'],
  [['remove-node', '--node', 'zz'], '--node'],
  [['remove-node', '--node', 'a'], '--node'],
  [['add-access', '--node', 'h'], '--node'],
  [['add-access', '--node', 'zz'], '--node'],
  [['add-access', '--node', 'a', '--name', 'laptop'], '--name'],
  [['add-access', '--node', 'a', '--name', ''], '--name'],
  [['add-access', '--node', 'a', '--ipv4=yes'], '--ipv4'],
  [['add-access', '--node', 'a', '--mtu', '576'], '--mtu'],
  [['remove-access', '--name', 'zz'], '--name'],
  [['remove-access'], '--name'],
  [['documents', '--node', 'zz'], '--node'],
];

test('bad flags: exit 2, an error naming the flag, the plan file byte-identical', async (t) => {
  const { dir, plan } = await planDir(t);
  await sample(plan);
  const before = await readFile(plan);
  for (const [[command, ...rest], field] of BAD) {
    const r = await mesh(command!, '--plan', plan, ...rest);
    assert.equal(r.code, 2, `${command} ${rest.join(' ')}: ${r.err}`);
    assert.equal(r.out, '', `${command} ${rest.join(' ')}`);
    assert.ok(
      r.err.includes(`${field}:`) || r.err.includes(`${field} `),
      `${command} ${rest.join(' ')} should name ${field}: ${r.err}`,
    );
    assert.deepEqual(await readFile(plan), before, `${command} ${rest.join(' ')} changed the plan`);
  }
  assert.deepEqual(await readdir(dir), ['plan.json']);
});

test('a damaged or missing plan: EPLAN naming the field, exit 2, the file untouched', async (t) => {
  const { plan } = await planDir(t);
  await sample(plan);
  const good = JSON.parse(await readFile(plan, 'utf8'));
  const cases: [unknown, string][] = [
    ['{not json', '--plan'],
    [{ ...good, version: 2 }, 'plan.version'],
    [
      { ...good, nodes: [{ ...good.nodes[0], subnet: '10.21.2.0/24' }, ...good.nodes.slice(1)] },
      'plan.nodes[0].subnet',
    ],
    [
      { ...good, nodes: [good.nodes[0], { ...good.nodes[1], subnet: good.nodes[0].subnet }, good.nodes[2]] },
      'plan.nodes[1].subnet',
    ],
    [{ ...good, nodes: [good.nodes[0], { ...good.nodes[1], relay: 'zz' }, good.nodes[2]] }, 'plan.nodes[1].relay'],
    [{ ...good, accesses: [{ ...good.accesses[0], node: 'h' }] }, 'plan.accesses[0].node'],
    [{ ...good, accesses: [{ ...good.accesses[0], private_key: 'x' }] }, 'plan.accesses[0].private_key'],
    [{ ...good, extra: 1 }, 'plan.extra'],
  ];
  for (const [content, field] of cases) {
    const text = typeof content === 'string' ? content : JSON.stringify(content);
    await writeFile(plan, text);
    const r = await mesh('add-node', '--plan', plan, '--node', 'new');
    assert.equal(r.code, 2, field);
    assert.match(r.err, new RegExp(`EPLAN: ${field.replace(/[[\].]/g, '\\$&')}: `), r.err);
    assert.equal(await readFile(plan, 'utf8'), text);
  }
  const missing = await mesh('documents', '--plan', `${plan}.none`);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /EPLAN: --plan: .* does not exist/);
});

test(
  'usage: no command is exit 2 with the usage on stderr; ' + '--help prints it; an unknown command is refused',
  async () => {
    const none = await mesh();
    assert.equal(none.code, 2);
    assert.match(none.err, /^usage: ovs-plugin mesh/);
    assert.match((await mesh('--help')).out, /add-access/);
    const bad = await mesh('frobnicate', '--plan', 'x');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /EINVALID: command: "frobnicate" is not a mesh command/);
  },
);
