// `make demo`: boots the image (build/image) in QEMU with three NICs (one with carrier and
// nobody behind it, one without carrier, QEMU's user network with DHCP and RA), streams the
// serial console, and ends with a summary: the NIC the agent chose, its address, the time to
// online, and the plugin commands run inside the node with their answers. The node powers
// itself off (zos.test=poweroff); QEMU and its namespace are removed, also on Ctrl-C.
import { boot, milestones, silentNic } from '../image/qemu.ts';
import { cleanups } from './cleanups.ts';

const { ctx, teardown } = cleanups('demo: QEMU and its namespace removed');

async function main(): Promise<void> {
  console.log(
    `=== booting ${process.env.ZOS_IMAGE ?? 'build/image'} in QEMU (TCG):` +
      ' eth0 silent, eth1 no carrier, eth2 user network',
  );
  const b = await boot(ctx, {
    nics: [silentNic(), silentNic(), 'user'],
    paused: true,
    append: 'zos.test.plugin',
    onLine: (l) => console.log(`${(l.ms / 1000).toFixed(1).padStart(6)}  ${l.text}`),
  });
  await b.hmp('set_link n1 off');
  await b.resume();
  await b.waitFor(/STATUS \{/, 300_000);
  await Promise.race([b.exited, new Promise((r) => setTimeout(r, 30_000).unref())]);
  const s = b.json<{
    phase: string;
    nic?: string;
    addresses?: string[];
    gateways?: string[];
    mode?: string;
    totalMs?: number;
  }>('STATUS')!;
  const p = b.json<{ ok: boolean; answers?: Record<string, unknown>; datapathType?: string; error?: string }>('PLUGIN');
  const m = milestones(b);
  const sec = (ms?: number) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);
  console.log('\n=== summary');
  console.log(
    `phase ${s.phase}; chosen NIC ${s.nic ?? '-'} (${s.mode ?? '-'}),` +
      ` address ${(s.addresses ?? []).join(', ') || '-'}, gateway ${(s.gateways ?? []).join(', ') || '-'}`,
  );
  console.log(
    `QEMU start to: kernel ${sec(m.kernel)}, /init ${sec(m.init)}, agent ${sec(m.agentStart)},` +
      ` online ${sec(m.online)} (agent ${sec(s.totalMs)}), plugin serving ${sec(m.pluginServing)}`,
  );
  if (p?.ok) {
    console.log(
      `ovs-plugin (socket, datapath ${p.datapathType || 'system'}):` +
        ` ovs.bridge-add {"bridge":"zt0"} -> ${JSON.stringify(p.answers?.bridgeAdd)};` +
        ` ovs.vlan-ensure {"master":"zt0","vlan":42} -> ${JSON.stringify(p.answers?.vlanEnsure)}`,
    );
  } else console.log(`ovs-plugin check failed: ${p?.error ?? 'no PLUGIN line'}`);
  process.exitCode = s.phase === 'online' && p?.ok ? 0 : 1;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    void teardown().then(() => process.exit(130));
  });
main()
  .catch((err: Error) => {
    console.error(`demo: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(() => teardown());
