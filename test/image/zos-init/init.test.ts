// The fallback init run for real (as a child, on units in a temp dir) and spoken to with the
// agent's own zinit client: dependency order, restarts, tests, oneshot failures, and the
// socket's replies as zinit v0.2.14 gives them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZinitClient, ZinitError } from '../../../zinit/client.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** One raw gen-1 exchange: the bytes the server sends before it closes. */
function raw(path: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let buf = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.write(line));
    s.on('data', (d: string) => {
      buf += d;
    });
    s.on('close', () => resolve(buf));
    s.on('error', reject);
  });
}

async function startInit(t: { after(fn: () => unknown): void }, units: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'zos-init-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const [n, text] of Object.entries(units)) await writeFile(join(dir, `${n}.yaml`), text);
  const sock = join(dir, 'zinit.sock');
  const child = spawn(process.execPath, ['--import', 'tsx', 'image/zos-init/main.ts', 'init'], {
    env: { ...process.env, ZINIT_CONFIG_DIR: dir, ZINIT_SOCKET: sock },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise((r) => child.once('exit', r));
  t.after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  await until('the socket', async () => (existsSync(sock) ? true : undefined));
  return { dir, sock, client: new ZinitClient(sock, 3000), child, exited, output: () => out };
}

test('units start in after: order; failures, unknown dependencies and bad files as zinit has them', async (t) => {
  const z = await startInit(t, {
    a: "exec: sh -c 'sleep 0.3; echo a-done'\noneshot: true\nlog: stdout\n",
    b: 'exec: sleep 30\nafter:\n  - a\n',
    c: "exec: sh -c 'exit 1'\noneshot: true\n",
    d: 'exec: sleep 30\nafter: [c]\n',
    e: 'exec: sleep 30\nafter: [nosuch]\n',
    bad: 'log: stdout\n',
  });
  const list = await until('a done, b running', async () => {
    const l = await z.client.list();
    return l.a === 'Success' && l.b === 'Running' && l.c?.startsWith('Error') ? l : undefined;
  });
  assert.match(list.c!, /^Error\(Exited\(Pid\(\d+\), 1\)\)$/);
  assert.equal(list.d, 'Blocked');
  assert.equal(list.e, 'Blocked');
  assert.equal(list.bad, undefined);
  assert.match(z.output(), /a-done/);
  assert.match(z.output(), /skipping bad: bad\.yaml: field exec is required/);
  const b = await z.client.status('b');
  assert.deepEqual(b?.after, { a: 'Success' });
  assert.equal(b?.target, 'Up');
  assert.ok(b && b.pid > 0 && alive(b.pid));
  // Byte for byte: sorted keys, no newline, then close; zinit's error bodies.
  assert.equal(
    await raw(z.sock, 'status a\n'),
    `{"body":{"after":{},"name":"a","pid":0,"state":"Success","target":"Up"},"state":"ok"}`,
  );
  assert.equal(await raw(z.sock, 'status nosuch\n'), '{"body":"service name \\"nosuch\\" unknown","state":"error"}');
  assert.equal(
    await raw(z.sock, 'list\r\n'),
    `{"body":"unknown command 'list\\r' or wrong arguments count","state":"error"}`,
  );
  assert.equal(await raw(z.sock, '\n'), '{"body":"unknown command","state":"error"}');
  assert.equal(await raw(z.sock, 'start "x\n'), '{"body":"invalid command syntax","state":"error"}');
  assert.equal(await raw(z.sock, 'monitor nothere\n'), '{"body":"failed to load service config","state":"error"}');
  assert.equal(await raw(z.sock, 'monitor b\n'), '{"body":"service \\"b\\" already monitored","state":"error"}');
  assert.equal(await raw(z.sock, 'forget b\n'), '{"body":"service \\"b\\" is up","state":"error"}');
});

test(
  'services restart after they die; stop + forget; ' + 'start reruns a oneshot; monitor adds a unit at run time',
  async (t) => {
    const z = await startInit(t, {
      r: 'exec: sleep 30\n',
      o: "exec: sh -c 'exit 3'\noneshot: true\n",
    });
    const first = await until('r running', async () => {
      const s = await z.client.status('r');
      return s?.state === 'Running' ? s.pid : undefined;
    });
    process.kill(first, 'SIGKILL');
    const again = await until(
      'r restarted',
      async () => {
        const s = await z.client.status('r');
        return s?.state === 'Running' && s.pid !== first ? s.pid : undefined;
      },
      10_000,
    );
    assert.ok(alive(again));
    await z.client.stop('r');
    await z.client.forget('r');
    assert.equal((await z.client.list()).r, undefined);
    await until('r gone', async () => (alive(again) ? undefined : true));
    const o1 = await until('o failed', async () => {
      const s = await z.client.status('o');
      return s?.state.startsWith('Error') ? s.state : undefined;
    });
    await z.client.call('start', 'o');
    await until('o ran again', async () => {
      const s = await z.client.status('o');
      return s?.state.startsWith('Error') && s.state !== o1 ? true : undefined;
    });
    await writeFile(join(z.dir, 'late.yaml'), 'exec: sleep 30\ntest: sh -c "exit 0"\n');
    await z.client.monitor('late');
    await until('late running after its test', async () =>
      (await z.client.status('late'))?.state === 'Running' ? true : undefined,
    );
  },
);

test('a unit whose binary is missing fails and is not retried; SIGTERM stops every unit', async (t) => {
  const z = await startInit(t, { m: 'exec: /nonexistent/prog\n', s: 'exec: sleep 30\n' });
  await until('m failed', async () => ((await z.client.status('m'))?.state === 'Failure' ? true : undefined));
  const pid = await until('s running', async () => {
    const s = await z.client.status('s');
    return s?.state === 'Running' ? s.pid : undefined;
  });
  z.child.kill('SIGTERM');
  await z.exited;
  await until('s stopped with init', async () => (alive(pid) ? undefined : true), 5000);
  await assert.rejects(z.client.list(), (e: unknown) => e instanceof ZinitError && e.code === 'EZINITSOCKET');
});
