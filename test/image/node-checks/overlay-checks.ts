// `zos.test.overlay=DOC` -> `OVERLAY {...}`: this node's part of a two-node overlay test
// (test/image/overlay.test.ts). DOC is base64url JSON {netid, network, peer}: `network` the
// planner's document for this node (ovs-plugin/overlay/plan-documents.ts), `peer` the address
// of the container on the other node. net.apply over the plugin's socket (kernel WireGuard in
// the image), a container namespace with a `network` nic on the NR, then ping of `peer` from it
// until one reply comes (the other node may boot later). Nothing is torn down: the other node
// may still be pinging this one; the test ends both boots.
import { deleteNetns, ensureNetns, netnsNamed, runIn, SELF, type NetnsRef } from '../../../lib/netns.ts';
import { readFile } from 'node:fs/promises';
import { natRuleset } from '../../../ovs-plugin/nics/nat-rules.ts';
import type { OvsPluginClient } from '../../../ovs-plugin/transports/client.ts';

const CONTAINER = 'zovc';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface OverlayDoc {
  netid: string;
  network: Record<string, unknown>;
  peer: string;
  waitMs?: number;
}

/** The DOC word's JSON; throws naming what is wrong. */
export function parseOverlayDoc(word: string): OverlayDoc {
  const v = JSON.parse(Buffer.from(word, 'base64url').toString('utf8')) as Partial<OverlayDoc>;
  if (typeof v.netid !== 'string' || typeof v.peer !== 'string' || !v.network || typeof v.network !== 'object') {
    throw new Error('zos.test.overlay: needs {netid, network, peer}');
  }
  return v as OverlayDoc;
}

/** The command line word that carries `doc` (base64url: no characters the kernel splits on). */
export const overlayWord = (doc: OverlayDoc): string =>
  `zos.test.overlay=${Buffer.from(JSON.stringify(doc)).toString('base64url')}`;

/** Pings `to` from `ref` until one reply comes (up to `ms`). */
export async function pingUntil(
  ref: NetnsRef,
  to: string,
  ms: number,
): Promise<{ ok: boolean; ms: number; out?: string }> {
  const t0 = Date.now();
  let out = '';
  while (Date.now() - t0 < ms) {
    const p = await runIn(ref, 'ping', ['-c', '1', '-W', '2', to], { allowFailure: true, timeoutMs: 10_000 });
    out = (p.stdout + p.stderr).slice(-300);
    if (p.exitCode === 0) return { ok: true, ms: Date.now() - t0 };
    await sleep(500);
  }
  return { ok: false, ms: Date.now() - t0, out };
}

/** The loaded netfilter modules (nfnetlink, nf_*, nft_*), sorted. */
async function nfModules(): Promise<string[]> {
  const text = await readFile('/proc/modules', 'utf8');
  return text
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((m) => /^(nfnetlink|nf_|nft_)/.test(m))
    .sort();
}

/** natRuleset of one guarded port loaded with `nft -f -` in a scratch namespace, listed back, deleted. */
async function natRulesLoad(): Promise<{ ok: boolean; out?: string; modules?: string[] }> {
  const name = `zovn${process.pid}`;
  await ensureNetns(name);
  try {
    const script = natRuleset(
      { base: 0, prefix: 24, gateway: '10.99.0.1', net: '10.99.0.0/24' },
      'nat0',
      [{ port: 'nd0', mac: '02:00:00:00:00:02', ip: '10.99.0.2' }],
      ['zos'],
    );
    const ref = netnsNamed(name);
    const load = await runIn(ref, 'nft', ['-f', '-'], { input: script, allowFailure: true, timeoutMs: 60_000 });
    if (load.exitCode !== 0) return { ok: false, out: (load.stdout + load.stderr).slice(-300) };
    const list = await runIn(ref, 'nft', ['list', 'table', 'bridge', 'zos_nat'], {
      allowFailure: true,
      timeoutMs: 60_000,
    });
    return { ok: list.exitCode === 0, modules: await nfModules() };
  } finally {
    await deleteNetns(name);
  }
}

export async function overlayChecks(client: OvsPluginClient, word: string): Promise<Record<string, unknown>> {
  const r: Record<string, unknown> = { ok: false };
  try {
    const doc = parseOverlayDoc(word);
    // The underlay first (the other node's endpoint from this node's own namespace): a failure
    // below is then the overlay's, not the test network's.
    const peers = (doc.network.peers ?? []) as { endpoint?: string }[];
    const far = peers.map((p) => /^\[?([^\]]+?)\]?:\d+$/.exec(p.endpoint ?? '')?.[1]).find(Boolean);
    if (far) r.underlay = await pingUntil(SELF, far, 120_000);
    const t0 = Date.now();
    r.apply = await client.call('net.apply', { netid: doc.netid, network: doc.network });
    r.applyMs = Date.now() - t0;
    const again = Date.now();
    r.applyAgain = await client.call('net.apply', { netid: doc.netid, network: doc.network });
    r.applyAgainMs = Date.now() - again;
    await ensureNetns(CONTAINER);
    // The `network` kind comes with the net.* merge (its NicSpec type too): called by name.
    r.attach = await client.call('nic.attach', {
      target: { netns: CONTAINER },
      nic: { type: 'network', id: doc.netid },
    });
    r.ping = await pingUntil(netnsNamed(CONTAINER), doc.peer, doc.waitMs ?? 240_000);
    r.check = await client.call('net.check', { netid: doc.netid });
    // The netfilter modules the kernel loaded on demand for the NR's tables (the image loads none at boot).
    r.nfModules = await nfModules();
    // The default nics' tables (`ip` and `bridge zos_nat`) load in this kernel too: a scratch namespace.
    r.natRules = await natRulesLoad();
    r.ok = (r.ping as { ok: boolean }).ok && (r.natRules as { ok: boolean }).ok;
  } catch (err) {
    r.error = (err as Error).message;
    r.code = (err as { code?: string }).code;
  }
  return r;
}
