// `zos.test.fleet=DOC` -> `FLEET {...}`: this node's part of the fleet test in the image
// (test/image/fleet.test.ts): DOC is base64url JSON {nb, sb, encapIp, hostname, network, cidr,
// peer}. Over the plugin's socket: fleet.join, then the wait for the SB to hold this chassis
// (the image's zinit unit ovn-controller starts it once joined: nothing here starts a process),
// fleet.network-ensure (both nodes call it: it is idempotent), a container namespace with a
// `fleet` nic at `cidr`, then ping of `peer` (the other node's container) from it until one
// reply comes, over Geneve on the kernel datapath. Nothing is torn down: the other node may
// still be pinging this one; the test ends both boots.
import { ensureNetns, netnsNamed, SELF } from '../../../lib/netns.ts';
import { run } from '../../../lib/exec.ts';
import { readFile } from 'node:fs/promises';
import type { OvsPluginClient } from '../../../ovs-plugin/transports/client.ts';
import { ZinitClient } from '../../../zinit/client.ts';
import { pingUntil } from './overlay-checks.ts';

const CONTAINER = 'zfc';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FleetDoc {
  nb: string;
  sb: string;
  encapIp: string;
  hostname: string;
  network: string;
  cidr: string;
  peer: string;
  waitMs?: number;
}

/** The DOC word's JSON; throws naming what is wrong. */
export function parseFleetDoc(word: string): FleetDoc {
  const v = JSON.parse(Buffer.from(word, 'base64url').toString('utf8')) as Partial<FleetDoc>;
  const keys = ['nb', 'sb', 'encapIp', 'hostname', 'network', 'cidr', 'peer'] as const;
  if (keys.some((k) => typeof v[k] !== 'string')) throw new Error(`zos.test.fleet: needs {${keys.join(', ')}}`);
  return v as FleetDoc;
}

/** The command line word that carries `doc` (base64url: no characters the kernel splits on). */
export const fleetWord = (doc: FleetDoc): string =>
  `zos.test.fleet=${Buffer.from(JSON.stringify(doc)).toString('base64url')}`;

/** fleet.status until the SB holds this chassis (up to `ms`). */
async function sbSeen(client: OvsPluginClient, ms: number): Promise<{ ok: boolean; ms: number; status?: unknown }> {
  const t0 = Date.now();
  let status: { sb_seen?: boolean } = {};
  while (Date.now() - t0 < ms) {
    status = await client.call<{ sb_seen?: boolean }>('fleet.status', {});
    if (status.sb_seen) return { ok: true, ms: Date.now() - t0 };
    await sleep(250);
  }
  return { ok: false, ms: Date.now() - t0, status };
}

/** zinit's ovn-controller unit and what its process is. */
async function unitOf(): Promise<{ state?: string; comm?: string }> {
  const st = await new ZinitClient('/var/run/zinit.sock', 5000).status('ovn-controller');
  const comm = st?.pid ? (await readFile(`/proc/${st.pid}/comm`, 'utf8').catch(() => '')).trim() : undefined;
  return { state: st?.state, comm };
}

/** nic.attach of a fleet nic, again after EPORTDOWN (undone by the plugin: ovn-controller's first flows under TCG). */
async function attach(client: OvsPluginClient, doc: FleetDoc, r: Record<string, unknown>): Promise<unknown> {
  for (let i = 1; ; i++) {
    try {
      return await client.call('nic.attach', {
        target: { netns: CONTAINER },
        nic: { type: 'fleet', id: doc.network, config: { cidr: doc.cidr } },
      });
    } catch (err) {
      if ((err as { code?: string }).code !== 'EPORTDOWN' || i >= 4) throw err;
      r.attachRetries = i;
    }
  }
}

const out = async (cmd: string, args: string[]) => (await run(cmd, args, { allowFailure: true })).stdout.trim();

export async function fleetChecks(client: OvsPluginClient, word: string): Promise<Record<string, unknown>> {
  const r: Record<string, unknown> = { ok: false };
  try {
    const doc = parseFleetDoc(word);
    // The central on the underlay first: a failure below is then fleet mode's, not the test network's.
    const central = /^tcp:([^:,]+):\d+/.exec(doc.sb)?.[1];
    if (central) r.underlay = await pingUntil(SELF, central, 120_000);
    r.unitBefore = await unitOf();
    let t0 = Date.now();
    r.join = await client.call('fleet.join', {
      nb: doc.nb,
      sb: doc.sb,
      encap_ip: doc.encapIp,
      hostname: doc.hostname,
    });
    r.joinMs = Date.now() - t0;
    r.sbSeen = await sbSeen(client, 180_000);
    r.unit = await unitOf();
    r.network = await client.call('fleet.network-ensure', { name: doc.network });
    await ensureNetns(CONTAINER);
    t0 = Date.now();
    r.attach = await attach(client, doc, r);
    r.attachMs = Date.now() - t0;
    r.ping = await pingUntil(netnsNamed(CONTAINER), doc.peer, doc.waitMs ?? 240_000);
    r.brInt = await out('ovs-vsctl', ['--timeout=10', 'get', 'Bridge', 'br-int', 'datapath_type']);
    r.tunnels = await out('ovs-vsctl', [
      '--timeout=10',
      '--bare',
      '--columns=name',
      'find',
      'Interface',
      'type=geneve',
    ]);
    r.kernelGeneve = JSON.parse((await out('ip', ['-j', 'link', 'show', 'type', 'geneve'])) || '[]').map(
      (l: { ifname: string }) => l.ifname,
    );
    r.ok = (r.ping as { ok: boolean }).ok;
  } catch (err) {
    r.error = (err as Error).message;
    r.code = (err as { code?: string }).code;
  }
  return r;
}
