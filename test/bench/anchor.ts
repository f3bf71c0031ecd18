// The anchor: Zero-OS's own method (its `internet` daemon's carrier wait, probe and choice), rebuilt
// small so it runs here: each NIC brought up and given up to 10 s for carrier, one after
// another; every plugged NIC probed at once, each moved into its own namespace, with
// `udhcpc -q -f -t 20 -T 1 -n`; the choice only after all probes finish (private gateway, then
// lowest address); zos built, the fixed 1 s sleep, the probe lease thrown away and a fresh
// DHCP round trip on zos. Returns ms from start until zos has its default route.
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ip, listLinks } from '../../lib/ip.ts';
import { deleteNetns, ensureNetns, runIn } from '../../lib/netns.ts';
import { randomName } from '../helpers/netns.ts';

const PROBE_SCRIPT = '#!/bin/sh\n[ "$1" = bound ] && echo "lease ip=$ip router=$router"\nexit 0\n';
const APPLY_SCRIPT =
  '#!/bin/sh\ncase "$1" in bound|renew)\n  ip addr add "$ip/$mask" dev "$interface"\n' +
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's parameter expansion, not a template
  '  [ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"\n;; esac\nexit 0\n';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitCarrier(ns: string, nic: string, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if ((await listLinks({ name: ns }, nic))[0]?.flags.includes('LOWER_UP')) return true;
    if (Date.now() >= end) return false;
    await sleep(100);
  }
}

/** One probe as Zero-OS runs it: NIC moved into its own namespace, udhcpc, NIC moved back. */
async function probe(
  node: string,
  nic: string,
  script: string,
): Promise<{ nic: string; ip: string; router: string } | undefined> {
  const ns = randomName('zanc');
  await ensureNetns(ns);
  try {
    await ip({ name: node }, ['link', 'set', nic, 'netns', ns]);
    await ip({ name: ns }, ['link', 'set', nic, 'up']);
    const r = await runIn(
      { name: ns },
      'busybox',
      ['udhcpc', '-i', nic, '-q', '-f', '-t', '20', '-T', '1', '-n', '-s', script],
      { allowFailure: true, timeoutMs: 60_000 },
    );
    const m = /lease ip=(\S+) router=(\S+)/.exec(r.stdout);
    return m ? { nic, ip: m[1]!, router: m[2]! } : undefined;
  } finally {
    await ip({ name: ns }, ['link', 'set', nic, 'netns', node]).catch(() => '');
    await ip({ name: node }, ['link', 'set', nic, 'down']).catch(() => '');
    await deleteNetns(ns);
  }
}

const isPrivate = (a: string) => /^(10\.|192\.168\.|169\.254\.|172\.(1[6-9]|2\d|3[01])\.)/.test(a);
const num = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);

/** Runs the anchor method on `nics` in namespace `node`; ms until zos has a default route. */
export async function anchorRun(node: string, nics: string[], dir: string): Promise<number> {
  const probeScript = join(dir, 'anchor-probe.sh');
  const applyScript = join(dir, 'anchor-apply.sh');
  await writeFile(probeScript, PROBE_SCRIPT);
  await writeFile(applyScript, APPLY_SCRIPT);
  await chmod(probeScript, 0o755);
  await chmod(applyScript, 0o755);
  const t0 = Date.now();
  const plugged: string[] = [];
  for (const n of nics) {
    await ip({ name: node }, ['link', 'set', n, 'up']);
    if (await waitCarrier(node, n, 10_000)) plugged.push(n);
  }
  const leases = (await Promise.all(plugged.map((n) => probe(node, n, probeScript)))).filter((l) => !!l && l.router);
  if (!leases.length) throw new Error('anchor: no route with default gateway found');
  leases.sort((a, b) => Number(isPrivate(b!.router)) - Number(isPrivate(a!.router)) || num(a!.ip) - num(b!.ip));
  const chosen = leases[0]!;
  const mac = (await listLinks({ name: node }, chosen.nic))[0]!.address!;
  await ip({ name: node }, ['link', 'add', 'zos', 'type', 'bridge']);
  await ip({ name: node }, ['link', 'set', 'zos', 'address', mac]);
  await ip({ name: node }, ['link', 'set', chosen.nic, 'master', 'zos']);
  await ip({ name: node }, ['link', 'set', chosen.nic, 'up']);
  await ip({ name: node }, ['link', 'set', 'zos', 'up']);
  await sleep(1000);
  await runIn(
    { name: node },
    'busybox',
    ['udhcpc', '-i', 'zos', '-q', '-f', '-t', '20', '-T', '1', '-n', '-s', applyScript],
    { timeoutMs: 60_000 },
  );
  const def = await ip({ name: node }, ['-4', 'route', 'show', 'default', 'dev', 'zos']);
  if (!def.includes('default')) throw new Error('anchor: zos has no default route');
  return Date.now() - t0;
}
