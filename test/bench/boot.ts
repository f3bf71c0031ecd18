// Boot paths of the image under QEMU (TCG, 1 vCPU with RDRAND, one user-network NIC), one boot
// at a time: QEMU start to the kernel running (its clock's zero: /init's line minus the uptime it
// prints), /init, the agent's start, online, the plugin serving,
// median of BENCH_BOOTS boots (default 3) per path; and the image sizes. Needs the test image
// (`make image-test`: the hook powers each node off; PXE and USB use its built-in command line).
// Run alone: `node --import tsx test/bench/run.ts 'image boot'` (BENCH_BOOTS=n).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { boot, IMAGE, milestones } from '../image/qemu.ts';
import { cleanups } from '../demo/cleanups.ts';

export const title = 'image boot';

// pvh: the direct boot with the unpacked vmlinux (OUT/pvh/vmlinux), no self-decompression.
type Path = 'direct' | 'pvh' | 'pxe' | 'usb';
const KEYS = ['kernel', 'init', 'agentStart', 'online', 'pluginServing'] as const;

async function once(path: Path): Promise<Record<string, number | undefined>> {
  const { ctx, teardown } = cleanups();
  // Ctrl-C or kill: QEMU, its namespace and dir go too.
  const stop = () => { void teardown().then(() => process.exit(130)); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const nic = path === 'pxe' ? `user,tftp=${join(IMAGE, 'pxe')},bootfile=boot.ipxe` : 'user';
    // zos.test.plugin (built into the test image's PXE/USB command line) holds STATUS back
    // until the plugin serves.
    const b = await boot(ctx, { path, nics: [nic], append: 'zos.test.plugin' });
    await b.waitFor(/STATUS \{/, 300_000);
    return milestones(b);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await teardown();
  }
}

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Prints the table. */
export async function run(): Promise<void> {
  const n = Number(process.env.BENCH_BOOTS ?? 3);
  const mb = (f: string) => (statSync(join(IMAGE, f)).size / 1e6).toFixed(1);
  console.log(`\n## ${title}: ${IMAGE}, median of ${n} boot(s), seconds from QEMU start`);
  console.log(`sizes: kernel ${mb('pxe/vmlinuz')} MB, initrd ${mb('pxe/initrd.img')} MB (zstd), usb.img ${mb('usb.img')} MB, PXE set ${(['pxe/vmlinuz', 'pxe/initrd.img', 'pxe/boot.ipxe'].reduce((a, f) => a + statSync(join(IMAGE, f)).size, 0) / 1e6).toFixed(1)} MB`);
  console.log(`| path | ${KEYS.join(' | ')} |\n|---|${KEYS.map(() => '---').join('|')}|`);
  for (const path of ['direct', 'pvh', 'pxe', 'usb'] as Path[]) {
    const runs: Record<string, number | undefined>[] = [];
    for (let i = 0; i < n; i++) runs.push(await once(path));
    const cell = (k: string) => {
      const xs = runs.map((r) => r[k]).filter((x): x is number => x !== undefined);
      return xs.length ? (median(xs)! / 1000).toFixed(1) : '-';
    };
    console.log(`| ${path} | ${KEYS.map(cell).join(' | ')} |`);
  }
}
