// The agent's retry path with Choice objects (a stand-in discovery): a failing build or apply
// is undone and retried with backoff while the status says why; SIGTERM ends the wait cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ip, ipJson, listLinks } from '../../lib/ip.ts';
import { commandIn } from '../../lib/netns.ts';
import { addNic, makeTopology } from '../helpers/topology.ts';
import { agentEnv, waitFor, type AgentEnv } from '../helpers/agent-run.ts';
import type { Choice } from '../../internet/types.ts';
import type { AgentStatus } from '../../internet/status.ts';

const SCRIPT = resolve(import.meta.dirname, '../helpers/agent-fake-discover.ts');

function start(env: AgentEnv, choices: Choice[]) {
  const file = join(env.topo.dir, 'choices.json');
  const ready = writeFile(file, JSON.stringify(choices));
  let out = '';
  const proc = ready.then(() =>
    spawn(
      ...commandIn({ name: env.topo.node }, process.execPath, [
        '--import',
        'tsx',
        SCRIPT,
        '--nics',
        'eth1',
        '--cmdline',
        env.cmdline,
        '--zinit-socket',
        env.zinit.path,
        '--zinit-dir',
        env.zinitDir,
        '--status',
        env.status,
      ]),
      {
        env: { ...process.env, FAKE_CHOICES: file, INTERNET_RESOLV_CONF: env.resolv },
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd: resolve(import.meta.dirname, '../..'),
      },
    ),
  );
  const done = proc.then(
    (p) =>
      new Promise<number | null>((res) => {
        p.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
        });
        p.stderr!.on('data', (d: Buffer) => {
          out += d.toString();
        });
        p.on('exit', (code) => res(code));
      }),
  );
  return { proc, done, out: () => out };
}

test('a choice that cannot be built, then one whose lease cannot be applied, are undone and retried', async (t) => {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  await ip({ name: topo.sw }, ['addr', 'add', '10.68.1.1/24', 'dev', nic.peer]);
  const env = await agentEnv(t, topo);
  const good: Choice = {
    nic: 'eth1',
    mac: nic.mac,
    mtu: 1500,
    reason: 'test',
    v4: { address: '10.68.1.150', prefix: 24, router: '10.68.1.1', dns: [] },
  };
  const a = start(env, [
    { ...good, nic: 'nosuch' },
    { ...good, v4: { ...good.v4!, router: '10.68.1.1', address: '10.68.1.0', prefix: 33 } },
    good,
  ]);
  t.after(async () => (await a.proc).kill('SIGKILL'));
  const code = await a.done;
  assert.equal(code, 0, a.out());
  assert.match(a.out(), /retry step=network attempt=1 code=ENONIC/);
  assert.match(a.out(), /retry step=network attempt=2 code=EAPPLY/);
  assert.match(a.out(), /bridge.dismantled/);
  // Each NIC whose choice failed is passed back to discovery, to rank after the others.
  assert.match(a.out(), /fake-discover call=1 nic=nosuch\n/);
  assert.match(a.out(), /fake-discover call=2 nic=eth1 avoid=nosuch\n/);
  assert.match(a.out(), /fake-discover call=3 nic=eth1 avoid=nosuch,eth1\n/);
  // Each discovery's handle is closed once: before the next discovery, and the last one on the way out.
  const handles = a
    .out()
    .split('\n')
    .filter((l) => /fake-(discover|close)/.test(l))
    .map((l) => l.replace(/^info (fake-\w+) call=(\d).*$/, '$1 $2'));
  assert.deepEqual(handles, [
    'fake-discover 1',
    'fake-close 1',
    'fake-discover 2',
    'fake-close 2',
    'fake-discover 3',
    'fake-close 3',
  ]);
  assert.deepEqual(
    (await ipJson<{ gateway: string; dev: string }>({ name: topo.node }, ['-4', 'route', 'show', 'default'])).map(
      (d) => `${d.gateway} ${d.dev}`,
    ),
    ['10.68.1.1 zos'],
  );
  const s = JSON.parse(await readFile(env.status, 'utf8')) as AgentStatus;
  assert.equal(s.phase, 'online');
  assert.equal(s.attempt, 3);
  assert.equal(s.error, undefined);
});

test('retrying forever keeps the status current; SIGTERM during the backoff: exit 143, no zos', async (t) => {
  const topo = await makeTopology(t);
  await addNic(topo, 'eth1');
  const env = await agentEnv(t, topo);
  const a = start(env, [
    {
      nic: 'nosuch',
      mac: '02:00:00:00:00:09',
      mtu: 1500,
      reason: 'test',
      v4: { address: '10.68.2.9', prefix: 24, router: '10.68.2.1', dns: [] },
    },
  ]);
  t.after(async () => (await a.proc).kill('SIGKILL'));
  await waitFor(
    'third retry',
    async () => {
      try {
        const st = JSON.parse(await readFile(env.status, 'utf8')) as AgentStatus;
        return st.attempt >= 3 && st.phase === 'retrying';
      } catch {
        return false;
      }
    },
    20_000,
  );
  const s = JSON.parse(await readFile(env.status, 'utf8')) as AgentStatus;
  assert.equal(s.error?.code, 'ENONIC');
  (await a.proc).kill('SIGTERM');
  assert.equal(await a.done, 143, a.out());
  assert.deepEqual(await listLinks({ name: topo.node }, 'zos'), []);
  assert.equal((JSON.parse(await readFile(env.status, 'utf8')) as AgentStatus).phase, 'aborted');
});
