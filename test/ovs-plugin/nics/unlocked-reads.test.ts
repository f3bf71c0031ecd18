// Nothing slow under the node-wide lock: attach reads the system (the kind's prepare: host links)
// and the container's root before it takes the state lock, so what those reads refuse is
// answered while another process holds the lock, instead of ELOCKED after 30 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ip } from '../../../lib/ip.ts';
import { commandIn } from '../../../lib/netns.ts';
import { container, nicEnv } from './helpers.ts';

test('attach: what prepare and the root refuse is answered while another process holds the state lock', async (t) => {
  const e = await nicEnv(t, { backplane: false });
  await ip({ name: e.host }, ['link', 'add', 'name', 'br0', 'type', 'bridge']);
  const c = await container(t);
  // The lock's address is scoped to the network namespace: hold it from the plugin's "host".
  const holder = spawn(
    ...commandIn({ name: e.host }, 'node', [
      '--import',
      'tsx',
      '-e',
      `import('${process.cwd()}/ovs-plugin/nics/lock.ts').then(async (m) => { ` +
        `await m.lockFile(${JSON.stringify(`${e.state}.lock`)}); console.log('held'); setInterval(() => {}, 1000); })`,
    ]),
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.after(() => {
    holder.kill('SIGKILL');
  });
  await new Promise<void>((res, rej) => {
    holder.stdout!.once('data', () => res());
    holder.once('exit', (code) => rej(new Error(`holder exited ${code}`)));
  });

  const noBridge = await e.call('nic.attach', { target: { netns: c }, nic: { type: 'bridge', id: 'nosuch' } });
  assert.deepEqual([noBridge.value.code, noBridge.value.field], ['EINVALID', 'nic.id'], noBridge.stdout);

  const d = await mkdtemp(join(tmpdir(), 'hostile-'));
  t.after(() => rm(d, { recursive: true, force: true }));
  await mkdir(join(d, 'root', 'etc'), { recursive: true });
  await writeFile(join(d, 'victim'), 'host file\n');
  await symlink(join(d, 'victim'), join(d, 'root', 'etc', 'resolv.conf'));
  const hostile = await e.call('nic.attach', {
    target: { netns: c },
    nic: { type: 'bridge', id: 'br0', root: join(d, 'root'), config: { dns: ['10.0.0.53'] } },
  });
  assert.deepEqual([hostile.value.code, hostile.value.field], ['EINVALID', 'nic.root'], hostile.stdout);
});
