// Inside the booted node (QEMU TCG, 1 vCPU, 2 GiB): what a vlan nic's attach+detach and a new
// VLAN cost with 0 and with 1,000 other ports / VLANs, through the plugin's socket, on the kernel
// datapath (the image's default, OVS_DATAPATH=system) and then, same boot, on a userspace
// (netdev) `backplane` for comparison (test/image/node-checks/scale-checks.ts, `zos.test.scale=netdev`).
// TCG makes every figure ~10x slower than the host: read the ratios. The netdev pass has no nic
// rows (the plugin's `ethtool -K` is not in the image) and its 1,000 rows are not valid
// (ovs-vswitchd's 1024 fds run out near 1,000 netdev ports). Needs the test image
// (`make image-test`). Run: node --import tsx test/bench/run.ts 'node scale'
// (BENCH_NODE_NETDEV=0: the kernel datapath only; BENCH_VERBOSE=1 streams the console).
import { pathToFileURL } from 'node:url';
import { boot, tail } from '../image/qemu.ts';
import { cleanups } from '../demo/cleanups.ts';

/** Name shown by test/bench/run.ts. */
export const title = 'node scale: kernel datapath in the booted node';

interface At {
  p50?: number;
  min?: number;
  max?: number;
  msPerVlan?: number;
  ports: number;
}
interface Part {
  0: At;
  1000: At;
  ratio: number;
  fillPortsMs?: number;
  fillVlansMs?: number;
}
interface Sw {
  portP50?: number;
  fakeBridgeMs?: number;
}
interface Pass {
  datapath: string;
  nics?: Part;
  vlans: Part & { switchFakeBridgeMs: { 0: number; 1000: number; ratio: number } };
  switchAlone: { 0: Sw; 1000: Sw; portRatio: number };
}
type Scale = { ok: boolean; error?: string; n: number; fill: number; vethsMs: number; totalMs: number } & Record<
  string,
  Pass | unknown
>;

/** Boots once, waits for the SCALE line and prints the table. */
export async function run(): Promise<void> {
  const netdev = process.env.BENCH_NODE_NETDEV !== '0';
  const { ctx, teardown } = cleanups();
  const stop = () => {
    void teardown().then(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const t0 = Date.now();
    const b = await boot(ctx, {
      nics: ['user'],
      memMb: 2048,
      timeoutMs: 3_000_000,
      append: `zos.test.plugin zos.test.scale${netdev ? '=netdev' : ''} zos.test.timeout=3000`,
      onLine: process.env.BENCH_VERBOSE
        ? (l) => console.log(`${(l.ms / 1000).toFixed(1).padStart(7)} ${l.text}`)
        : undefined,
    });
    await b.waitFor(/SCALE \{/);
    const s = b.json<Scale>('SCALE')!;
    console.log(
      `\n## ${title}: one boot, ${((Date.now() - t0) / 1000).toFixed(0)} s;` +
        ` N=${s.n} namespaces / new VLANs, ${s.fill} fill ports / VLANs`,
    );
    if (!s.ok) console.log(`SCALE failed: ${s.error}\n${tail(b.lines)}`);
    console.log('| datapath | what | at 0 | at 1,000 | 1,000 / 0 | target |\n|---|---|---|---|---|---|');
    for (const dp of ['system', 'netdev']) {
      const p = s[dp] as Pass | undefined;
      if (!p?.switchAlone) continue;
      const sw = p.switchAlone;
      if (p.nics)
        console.log(
          `| ${p.datapath} | nic attach+detach (plugin), p50 ms` +
            ` | ${p.nics[0].p50} | ${p.nics[1000].p50} | ${p.nics.ratio}x | flat |`,
        );
      console.log(
        `| ${p.datapath} | ovs-vsctl add-port + del-port (switch alone), p50 ms` +
          ` | ${sw[0].portP50} | ${sw[1000].portP50} | ${sw.portRatio}x | |`,
      );
      if (p.vlans) {
        const fb = p.vlans.switchFakeBridgeMs;
        console.log(
          `| ${p.datapath} | new VLAN (plugin vlan-ensure), ms each` +
            ` | ${p.vlans[0].msPerVlan} | ${p.vlans[1000].msPerVlan} | ${p.vlans.ratio}x | <= 3x |`,
        );
        console.log(
          `| ${p.datapath} | ovs-vsctl add-br fake bridge (switch alone), ms each` +
            ` | ${fb[0]} | ${fb[1000]} | ${fb.ratio}x | |`,
        );
      }
    }
    console.log(`(SCALE ${JSON.stringify(s)})`);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await teardown();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
