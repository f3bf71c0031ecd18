// The DHCP client the probe and dhcp-zos share, resolved from PATH by absolute path: a udhcpc
// of its own, else busybox only when its applet list has udhcpc (busybox without the applet
// link was the image where zinit could not spawn `exec: udhcpc`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDhcpClient, findDhcpClient, ipPath, which } from '../../lib/tools.ts';

test('udhcpc on PATH, else busybox with the applet, else EDHCPCLIENT naming PATH', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'tools-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const dir = async (name: string) => {
    const d = join(root, name);
    await mkdir(d);
    return d;
  };
  const onlyBusybox = await dir('a');
  await symlink('/usr/bin/busybox', join(onlyBusybox, 'busybox'));
  assert.deepEqual(await findDhcpClient(onlyBusybox), { argv: [join(onlyBusybox, 'busybox'), 'udhcpc'] });
  const own = await dir('b');
  await symlink('/usr/bin/busybox', join(own, 'udhcpc'));
  assert.deepEqual(
    await findDhcpClient(`${own}:${onlyBusybox}`),
    { argv: [join(own, 'udhcpc')] },
    'the applet link, not busybox',
  );
  assert.deepEqual(
    await findDhcpClient(`${onlyBusybox}:${own}`),
    { argv: [join(own, 'udhcpc')] },
    'a udhcpc anywhere on PATH wins',
  );
  const noApplet = await dir('c');
  await writeFile(join(noApplet, 'busybox'), '#!/bin/sh\nprintf "sh\\nls\\nudhcpc6\\n"\n', { mode: 0o755 });
  await assert.rejects(
    findDhcpClient(noApplet),
    (e: Error & { code?: string }) => e.code === 'EDHCPCLIENT' && e.message.includes(noApplet),
  );
  const notExec = await dir('d');
  await writeFile(join(notExec, 'udhcpc'), '#!/bin/sh\n');
  await chmod(join(notExec, 'udhcpc'), 0o644);
  await assert.rejects(findDhcpClient(notExec), { code: 'EDHCPCLIENT' });
  await assert.rejects(findDhcpClient(''), { code: 'EDHCPCLIENT' });
  assert.equal(
    await which('busybox', `a:${onlyBusybox}`),
    join(onlyBusybox, 'busybox'),
    'relative PATH entries are skipped',
  );
  await checkDhcpClient({ argv: [join(own, 'udhcpc')] });
  await assert.rejects(checkDhcpClient({ argv: [join(notExec, 'udhcpc')] }), { code: 'EDHCPCLIENT' });
  await assert.rejects(checkDhcpClient({ argv: [join(root, 'gone')] }), { code: 'EDHCPCLIENT' });
  await assert.rejects(ipPath(onlyBusybox, []), { code: 'EIPMISSING' }); // busybox's ip is not iproute2's
  assert.match(await ipPath(), /^\/.*\/ip$/);
});
