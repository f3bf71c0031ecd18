// `zos.test.wg` -> `WG {...}`: kernel WireGuard in the image, through the project's own code
// path (lib/wireguard/kernel.ts): the module loads; two links are created in the host's
// namespace and moved into two namespaces of the node (their UDP sockets stay in the host's:
// /proc/net/udp there lists both ports); each is configured over generic netlink by the
// plugin's `wg-genl` helper started inside its namespace (nsenter); they handshake over the
// host's lo and pass a ping; the same config again writes nothing; everything is removed.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { run } from '../../../lib/exec.ts';
import { ip } from '../../../lib/ip.ts';
import { deleteNetns, ensureNetns, netnsNamed, runIn, SELF } from '../../../lib/netns.ts';
import { kernelWireGuardAvailable, syncDevice } from '../../../lib/wireguard/backend.ts';
import { nsenterRunner } from '../../../lib/wireguard/genl-runner.ts';
import { kernelBackend } from '../../../lib/wireguard/kernel.ts';
import { isEmptyChange, type WgConfig } from '../../../lib/wireguard/types.ts';
import { generateKeyPair } from '../../../ovs-plugin/overlay/plan-keys.ts';

/** The plugin bundle's helper, as the plugin itself would start it. */
const HELPER = ['node', '/usr/lib/zos/ovs-plugin.js'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** UDP ports bound in this process's namespace (/proc/net/udp{,6}: local address column). */
async function udpPorts(): Promise<number[]> {
  const out: number[] = [];
  for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
    for (const line of (await readFile(f, 'utf8').catch(() => '')).split('\n').slice(1)) {
      const local = line.trim().split(/\s+/)[1];
      if (local) out.push(parseInt(local.split(':')[1]!, 16));
    }
  }
  return out;
}

/** Pings `to` from namespace `ns` until one reply comes (up to `ms`). */
async function pingUntil(ns: string, to: string, ms: number): Promise<{ ok: boolean; ms: number; out: string }> {
  const t0 = Date.now();
  let out = '';
  while (Date.now() - t0 < ms) {
    const r = await runIn(netnsNamed(ns), 'ping', ['-c', '1', '-W', '2', to], {
      allowFailure: true,
      timeoutMs: 10_000,
    });
    out = r.stdout + r.stderr;
    if (r.exitCode === 0) return { ok: true, ms: Date.now() - t0, out: '' };
    await sleep(500);
  }
  return { ok: false, ms: Date.now() - t0, out: out.slice(-400) };
}

export async function wgChecks(): Promise<Record<string, unknown>> {
  const r: Record<string, unknown> = { ok: false };
  const t0 = Date.now();
  const mod = await run('modprobe', ['wireguard'], { allowFailure: true });
  r.modprobe = {
    exitCode: mod.exitCode,
    stderr: mod.stderr.trim(),
    ms: Date.now() - t0,
    loaded: existsSync('/sys/module/wireguard'),
  };
  r.available = await kernelWireGuardAvailable();
  if (!r.available) return r;
  const names = ['zwga', 'zwgb'];
  const backend = kernelBackend({ remote: nsenterRunner(HELPER) });
  const steps: string[] = [];
  try {
    const a = generateKeyPair();
    const b = generateKeyPair();
    const ports = [51820, 51821];
    const wire = ['10.250.0.1', '10.250.0.2'];
    const keys = [a, b];
    const devs = [];
    for (let i = 0; i < 2; i++) {
      await ensureNetns(names[i]!);
      await ip(netnsNamed(names[i]!), ['link', 'set', 'lo', 'up']);
      devs.push(await backend.create({ name: `w-${names[i]}`, host: SELF, target: netnsNamed(names[i]!) }));
      steps.push(`created w-${names[i]}`);
    }
    r.inHost = (await run('ip', ['-j', 'link', 'show', 'type', 'wireguard'])).stdout.trim();
    const configs: WgConfig[] = [0, 1].map((i) => ({
      privateKey: keys[i]!.privateKey,
      listenPort: ports[i]!,
      peers: [
        {
          publicKey: keys[1 - i]!.publicKey,
          endpoint: `127.0.0.1:${ports[1 - i]}`,
          allowedIps: [`${wire[1 - i]}/32`],
          persistentKeepalive: 20,
        },
      ],
    }));
    const genlMs: number[] = [];
    for (let i = 0; i < 2; i++) {
      const g0 = Date.now();
      const change = await syncDevice(backend, devs[i]!, configs[i]!);
      genlMs.push(Date.now() - g0);
      steps.push(`synced w-${names[i]} (${change.peers.length} peer changes)`);
      await ip(devs[i]!.netns, ['addr', 'add', `${wire[i]}/24`, 'dev', devs[i]!.name]);
      await ip(devs[i]!.netns, ['link', 'set', 'dev', devs[i]!.name, 'up']);
    }
    r.genlMs = genlMs;
    const udp = await udpPorts();
    r.socketsInHost = ports.every((p) => udp.includes(p));
    r.ping = await pingUntil(names[0]!, wire[1]!, 60_000);
    r.pingBack = await pingUntil(names[1]!, wire[0]!, 20_000);
    const states = await Promise.all(devs.map((d) => backend.get(d)));
    r.states = states.map((s, i) => ({
      listenPort: s.listenPort,
      publicKey: s.publicKey === keys[i]!.publicKey,
      peers: s.peers.map((p) => ({
        endpoint: p.endpoint,
        allowedIps: p.allowedIps,
        keepalive: p.persistentKeepalive,
        handshake: p.lastHandshakeMs > 0,
        rx: String(p.rxBytes),
      })),
    }));
    const again = await syncDevice(backend, devs[0]!, configs[0]!);
    r.againEmpty = isEmptyChange(again);
    await Promise.all(devs.map((d) => backend.delete(d)));
    r.leftInHost = (await run('ip', ['-j', 'link', 'show', 'type', 'wireguard'])).stdout.trim();
    r.ok = true;
  } catch (err) {
    r.error = (err as Error).message;
    r.code = (err as { code?: string }).code;
  } finally {
    r.steps = steps;
    for (const n of names) await deleteNetns(n).catch(() => {});
  }
  return r;
}
