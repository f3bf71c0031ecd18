// A network resource's host side made by hand, as net.apply lays it out (docs/overlay.md) but
// without WireGuard: bridge `b-<netid>` in the test's host namespace (a MAC of its own, IPv6 off,
// no address, the NR's MTU), a namespace standing for `n-<netid>` (random name) holding the
// gateway `.1/24` and `<ula64>::1/64` on the leg's peer, the leg `l-<netid>` a port of the
// bridge, and the record in `nets.json` beside the nic state file, of the engine's shape.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { TestContext } from 'node:test';
import { ip } from '../../../lib/ip.ts';
import { netsPath as netsPathOf } from '../../../ovs-plugin/overlay/nr-state.ts';
import { parsePrefix4, v4Text } from '../../../ovs-plugin/overlay/ipv4.ts';
import { ulaSubnet } from '../../../ovs-plugin/overlay/ula.ts';
import { makeNetns, runIn } from '../../helpers/netns.ts';
import type { NicEnv } from './helpers.ts';

/** The NR made: its netid, the namespace standing for n-<netid>, its gateways. */
export interface FakeNr {
  netid: string;
  ns: string;
  gateway: string;
  ulaGateway: string;
  mtu: number;
  subnet: string;
  ipRange: string;
}

/** A random netid (1..13 of [A-Za-z0-9]). */
export const randomNetid = (): string => `t${randomBytes(4).toString('hex')}`;

/** Adds (or replaces) the record of `netid` in `nets.json` beside `state`. */
export async function writeNrRecord(
  state: string,
  rec: { netid: string; subnet: string; ipRange: string; mtu: number; phase?: string },
): Promise<void> {
  const path = netsPathOf(state);
  const cur = JSON.parse(await readFile(path, 'utf8').catch(() => '{"version":1,"nets":[]}'));
  cur.nets = cur.nets.filter((r: { netid: string }) => r.netid !== rec.netid);
  cur.nets.push({
    netid: rec.netid,
    doc: {
      ip_range: rec.ipRange,
      subnet: rec.subnet,
      wireguard_private_key: randomBytes(32).toString('base64'),
      wireguard_listen_port: 51820 + cur.nets.length,
      peers: [],
    },
    phase: rec.phase ?? 'applied',
    owner: { pid: 1, start: '0' },
    index: cur.nets.length,
    port: 51820 + cur.nets.length,
    mtu: rec.mtu,
    at: new Date().toISOString(),
    bridgeMac: '02:00:00:00:1b:01',
  });
  await writeFile(path, JSON.stringify(cur, null, 1));
}

/** NR `netid` (random unless given) with `subnet` in `ipRange` on the host of `e`. */
export async function fakeNr(
  t: TestContext,
  e: NicEnv,
  o: { netid?: string; subnet?: string; ipRange?: string; mtu?: number } = {},
): Promise<FakeNr> {
  const netid = o.netid ?? randomNetid();
  const subnet = o.subnet ?? '10.20.1.0/24';
  const ipRange = o.ipRange ?? '10.20.0.0/16';
  const mtu = o.mtu ?? 1420;
  const host = { name: e.host };
  const br = `b-${netid}`;
  await ip(host, ['link', 'add', 'name', br, 'address', '02:00:00:00:1b:01', 'mtu', String(mtu), 'type', 'bridge']);
  await runIn(e.host, 'sysctl', ['-qw', `net.ipv6.conf.${br}.disable_ipv6=1`]);
  await ip(host, ['link', 'set', br, 'up']);
  const ns = await makeNetns(t, 'tr');
  const gateway = v4Text(parsePrefix4(subnet)!.net + 1);
  const ulaGateway = `${ulaSubnet(netid, parsePrefix4(subnet)!).slice(0, -'::/64'.length)}::1`;
  await ip(host, [
    'link',
    'add',
    'name',
    `l-${netid}`,
    'mtu',
    String(mtu),
    'type',
    'veth',
    'peer',
    'name',
    `n-${netid}`,
    'mtu',
    String(mtu),
    'netns',
    ns,
  ]);
  await ip(host, ['link', 'set', `l-${netid}`, 'master', br, 'up']);
  await ip({ name: ns }, ['addr', 'add', `${gateway}/24`, 'dev', `n-${netid}`]);
  await ip({ name: ns }, ['addr', 'add', `${ulaGateway}/64`, 'dev', `n-${netid}`, 'nodad']);
  await ip({ name: ns }, ['link', 'set', `n-${netid}`, 'up']);
  await writeNrRecord(e.state, { netid, subnet, ipRange, mtu });
  return { netid, ns, gateway, ulaGateway, mtu, subnet, ipRange };
}
