// A tiny QEMU guest for nic tests: a Debian kernel (from the apt cache, else downloaded by
// apt into a cache dir) and an initramfs of busybox-static whose /init loads virtio_net, runs
// the given shell lines and powers off. Modules are insmod'ed in dependency order (the .deb has
// no modules.dep). TCG only on these machines. The image helper's initramfs is not used.
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../lib/exec.ts';

const CACHE = join(tmpdir(), 'nic-guest-cache');
const MODULES = [
  'virtio',
  'virtio_ring',
  'virtio_pci_legacy_dev',
  'virtio_pci_modern_dev',
  'virtio_pci',
  'failover',
  'net_failover',
  'virtio_net',
];

/** A Debian kernel .deb: the apt cache's, or one apt downloads into our cache; undefined if neither works. */
async function kernelDeb(): Promise<string | undefined> {
  for (const dir of ['/var/cache/apt/archives', join(CACHE, 'debs')]) {
    const f = (await readdir(dir).catch(() => [] as string[]))
      .filter((x) => /^linux-image-[0-9].*-amd64_.*\.deb$/.test(x))
      .sort()
      .at(-1);
    if (f) return join(dir, f);
  }
  await mkdir(join(CACHE, 'debs', 'partial'), { recursive: true });
  const r = await run(
    'apt-get',
    [
      'install',
      '-y',
      '--download-only',
      '--no-install-recommends',
      '-o',
      `Dir::Cache::archives=${join(CACHE, 'debs')}`,
      'linux-image-cloud-amd64',
    ],
    { allowFailure: true, timeoutMs: 300_000 },
  );
  if (r.exitCode !== 0) return undefined;
  const f = (await readdir(join(CACHE, 'debs')))
    .filter((x) => /^linux-image-[0-9].*-amd64_.*\.deb$/.test(x))
    .sort()
    .at(-1);
  return f ? join(CACHE, 'debs', f) : undefined;
}

/** Kernel and initramfs running `script` (busybox sh lines) at boot; undefined (with why) when no kernel is at hand. */
export async function buildGuest(
  script: string,
): Promise<{ kernel: string; initrd: string; cleanup(): Promise<void> } | { skip: string }> {
  const deb = await kernelDeb();
  if (!deb) return { skip: 'no Debian kernel package in the apt cache and apt could not download one' };
  const k = join(CACHE, 'kernel', deb.split('/').pop()!);
  if (!existsSync(join(k, 'boot'))) {
    await mkdir(k, { recursive: true });
    await run('dpkg-deb', ['-x', deb, k], { timeoutMs: 120_000 });
  }
  const kernel = join(k, 'boot', (await readdir(join(k, 'boot'))).find((f) => f.startsWith('vmlinuz-'))!);
  const ver = (await readdir(join(k, 'lib', 'modules')))[0]!;
  const dir = await mkdtemp(join(tmpdir(), 'guest-'));
  const root = join(dir, 'root');
  for (const d of ['bin', 'm', 'proc', 'sys', 'dev']) await mkdir(join(root, d), { recursive: true });
  await copyFile('/bin/busybox', join(root, 'bin', 'busybox'));
  const found = await run('find', [join(k, 'lib', 'modules', ver, 'kernel'), '-name', '*.ko'], { timeoutMs: 30_000 });
  for (const m of MODULES) {
    const path = found.stdout.split('\n').find((p) => p.endsWith(`/${m}.ko`));
    if (path) await copyFile(path, join(root, 'm', `${m}.ko`));
  }
  await writeFile(
    join(root, 'init'),
    [
      '#!/bin/busybox sh',
      '/bin/busybox --install -s /bin',
      'mount -t proc proc /proc',
      'mount -t sysfs sys /sys',
      'mount -t devtmpfs dev /dev',
      `for m in ${MODULES.join(' ')}; do [ -e /m/$m.ko ] && insmod /m/$m.ko 2>/dev/null; done`,
      'echo GUEST-UP',
      script,
      'poweroff -f',
      '',
    ].join('\n'),
  );
  await chmod(join(root, 'init'), 0o755);
  const initrd = join(dir, 'initrd.cpio');
  const files = (await run('find', [root, '-mindepth', '1'], { timeoutMs: 30_000 })).stdout
    .split('\n')
    .filter(Boolean)
    .map((p) => p.slice(root.length + 1));
  await run('cpio', ['-o', '-H', 'newc', '-D', root, '-O', initrd, '--quiet'], {
    input: files.join('\n') + '\n',
    timeoutMs: 60_000,
  });
  return { kernel, initrd, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
