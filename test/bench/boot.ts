// Boot paths of the image under QEMU (TCG, 1 vCPU with RDRAND, one user-network NIC), one boot
// at a time: QEMU start to the kernel running (its clock's zero: /init's line minus the uptime it
// prints), /init, the agent's start, online, the plugin serving,
// median of BENCH_BOOTS boots (default 3) per path; and the image sizes. Needs the test image
// (`make image-test`: the hook powers each node off; PXE and USB use its built-in command line).
// The anchor (image/anchor.sh, built once into IMAGE-anchor, cached): the same kernel and
// initramfs with a plain busybox /init that only loads the NIC drivers and runs udhcpc on eth0
// (then, after its lease, `node -e 0` and OVS with a bridge, for scale);
// booted the same way, alternating with the image, so both see the same load (TCG speed
// changes ~2x with it). `online - anchor lease` is the median of the paired differences;
// `init - anchor init` the same for /init, where both have run the same bytes: the noise.
// Run alone: `node --import tsx test/bench/run.ts 'image boot'` (BENCH_BOOTS=n,
// BENCH_PATHS=direct,usb to boot only some paths).
import { statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { run as exec } from '../../lib/exec.ts';
import { boot, IMAGE, milestones, type Boot } from '../image/qemu.ts';
import { cleanups } from '../demo/cleanups.ts';

export const title = 'image boot';

// pvh: the direct boot with the unpacked vmlinux (OUT/pvh/vmlinux), no self-decompression.
type Path = 'direct' | 'pvh' | 'pxe' | 'usb';
const PATHS: Path[] = ['direct', 'pvh', 'pxe', 'usb'];
const KEYS = ['kernel', 'init', 'agentStart', 'online', 'pluginServing'] as const;
const ANCHOR_KEYS = ['kernel', 'init', 'lease', 'node', 'ovs'] as const;
/** The anchor's artefacts, next to the image they are made from (never part of it). */
const ANCHOR = `${IMAGE}-anchor`;
type Ms = Record<string, number | undefined>;

/** The anchor's console milestones, on the same clock as `milestones` (ms since QEMU start). */
function anchorMilestones(b: Boot): Ms {
  const init = b.lines.find((l) => /ANCHOR INIT /.test(l.text));
  const up = init ? Number(/INIT ([\d.]+)s/.exec(init.text)?.[1]) : NaN;
  return {
    kernel: init && Number.isFinite(up) ? Math.max(0, init.ms - Math.round(up * 1000)) : undefined,
    init: init?.ms,
    lease: b.at(/ANCHOR LEASE /),
    node: b.at(/ANCHOR NODE /),
    ovs: b.at(/ANCHOR OVS /),
  };
}

async function once(path: Path, anchor: boolean): Promise<Ms> {
  const { ctx, teardown } = cleanups();
  // Ctrl-C or kill: QEMU, its namespace and dir go too.
  const stop = () => {
    void teardown().then(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const image = anchor ? ANCHOR : IMAGE;
    const nic = path === 'pxe' ? `user,tftp=${join(image, 'pxe')},bootfile=boot.ipxe` : 'user';
    // zos.test.plugin (built into the test image's PXE/USB command line) holds STATUS back
    // until the plugin serves. The anchor ignores its command line.
    const b = await boot(ctx, { path, image, nics: [nic], append: 'zos.test.plugin' });
    if (!anchor) {
      await b.waitFor(/STATUS \{/, 300_000);
      return milestones(b);
    }
    // It powers off after OVS is up (or after a step failed).
    await b.waitFor(/ANCHOR (NO LEASE|OVS )|reboot: Power down/, 300_000);
    return anchorMilestones(b);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await teardown();
  }
}

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secs = (xs: (number | undefined)[]) => {
  const ok = xs.filter((x): x is number => x !== undefined);
  return ok.length ? (median(ok)! / 1000).toFixed(1) : '-';
};
// Median of the per-pair differences image[a] - anchor[b], signed seconds.
function paired(runs: Ms[], anchors: Ms[], a: string, b: string): string {
  const diffs = runs
    .map((r, i) => (r[a] !== undefined && anchors[i]![b] !== undefined ? r[a]! - anchors[i]![b]! : undefined))
    .filter((x): x is number => x !== undefined);
  if (!diffs.length) return '-';
  const d = median(diffs)! / 1000;
  return `${d >= 0 ? '+' : ''}${d.toFixed(1)}`;
}
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

/** Builds the anchor (cached), boots image and anchor alternately on each path, prints the tables. */
export async function run(): Promise<void> {
  const n = Number(process.env.BENCH_BOOTS ?? 3);
  const paths = process.env.BENCH_PATHS ? PATHS.filter((p) => process.env.BENCH_PATHS!.split(',').includes(p)) : PATHS;
  await exec('bash', ['image/anchor.sh', IMAGE, ANCHOR], { timeoutMs: 600_000 });
  const mb = (f: string) => (statSync(join(IMAGE, f)).size / 1e6).toFixed(1);
  const pxeSet = ['pxe/vmlinuz', 'pxe/initrd.img', 'pxe/boot.ipxe'];
  const pxeSetMb = (pxeSet.reduce((a, f) => a + statSync(join(IMAGE, f)).size, 0) / 1e6).toFixed(1);
  console.log(
    `\n## ${title}: ${IMAGE}, median of ${n} boot(s) each, image and anchor alternating, seconds from QEMU start`,
  );
  console.log(
    `sizes: kernel ${mb('pxe/vmlinuz')} MB, initrd ${mb('pxe/initrd.img')} MB (zstd), usb.img ${mb('usb.img')} MB,` +
      ` PXE set ${pxeSetMb} MB`,
  );
  console.log(`load at start: ${load()}`);
  const rows: string[] = [];
  const anchorRows: string[] = [];
  for (const path of paths) {
    const runs: Ms[] = [];
    const anchors: Ms[] = [];
    // Alternating, the first of each pair swapped every time (neither always follows the other).
    for (let i = 0; i < n; i++) {
      if (i % 2) {
        anchors.push(await once(path, true));
        runs.push(await once(path, false));
      } else {
        runs.push(await once(path, false));
        anchors.push(await once(path, true));
      }
    }
    rows.push(
      `| ${path} | ${KEYS.map((k) => secs(runs.map((r) => r[k]))).join(' | ')} | ${secs(anchors.map((a) => a.lease))}` +
        ` | ${paired(runs, anchors, 'online', 'lease')} | ${paired(runs, anchors, 'init', 'init')} |`,
    );
    anchorRows.push(`| ${path} anchor | ${ANCHOR_KEYS.map((k) => secs(anchors.map((a) => a[k]))).join(' | ')} |`);
  }
  console.log(
    `| path | ${KEYS.join(' | ')} | anchor lease | online - anchor lease | init - anchor init |\n` +
      `|---|${KEYS.map(() => '---').join('|')}|---|---|---|`,
  );
  for (const r of rows) console.log(r);
  console.log(
    `\nanchor (${ANCHOR}: the same kernel and initramfs, /init = busybox sh: modprobe virtio_pci virtio_net,` +
      ' eth0 up, udhcpc -q -n, lease applied; after the lease: node -e 0, OVS up with a bridge)',
  );
  console.log(`| path | ${ANCHOR_KEYS.join(' | ')} |\n|---|${ANCHOR_KEYS.map(() => '---').join('|')}|`);
  for (const r of anchorRows) console.log(r);
  console.log(`load at end: ${load()}`);
}
