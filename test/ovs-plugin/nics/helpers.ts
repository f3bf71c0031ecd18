// Helpers of the nic tests: a private Open vSwitch whose namespace is "the host" the plugin
// runs in (exec under nsenter --net=), container namespaces, a state file in the test's dir,
// traffic checks (ping, a TCP echo through node) and the before/after snapshot refusals compare.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { ip, listLinks } from '../../../lib/ip.ts';
import { commandIn } from '../../../lib/netns.ts';
import { makeNetns, runIn } from '../../helpers/netns.ts';
import { startOvs, type Ovs } from '../../helpers/ovs.ts';
import { ensureBundle, execPlugin } from '../helpers.ts';

/** One test's plugin: its OVS, state file, and exec calls. */
export interface NicEnv {
  ovs: Ovs;
  host: string;
  state: string;
  call(cmd: string, args?: unknown, env?: Record<string, string>): ReturnType<typeof execPlugin>;
  /** Links (name, kind, master, up) of the host and of `others`, the OVSDB config and the state file. */
  snapshot(...others: string[]): Promise<string>;
}

/** A private OVS with bridge `backplane` (netdev), the plugin's state file beside it. */
export async function nicEnv(t: TestContext, opts: { backplane?: boolean } = {}): Promise<NicEnv> {
  await ensureBundle();
  const ovs = await startOvs(t);
  if (opts.backplane !== false) await ovs.addBridge('backplane');
  const state = join(ovs.dir, 'nics.json');
  const linksOf = async (ns: string) =>
    (await listLinks({ name: ns }))
      .map((l) => {
        const up = l.flags.includes('UP') ? 'up' : 'down';
        return `${l.ifname} ${l.linkinfo?.info_kind ?? '-'} ${l.master ?? '-'} ${up} ${l.address} ${l.mtu}`;
      })
      .sort();
  return {
    ovs,
    host: ovs.ns,
    state,
    call: (cmd, args, env = {}) => execPlugin(ovs, cmd, args, { OVS_PLUGIN_STATE: state, ...env }),
    snapshot: async (...others) =>
      JSON.stringify(
        {
          host: await linksOf(ovs.ns),
          others: await Promise.all(others.map(async (ns) => ({ ns, links: await linksOf(ns).catch(() => 'gone') }))),
          ovsdb: await ovs.snapshot(),
          // The records (an absent file and an empty one mean the same: nothing attached).
          state: JSON.parse(await readFile(state, 'utf8').catch(() => '{"nics":[]}')).nics,
        },
        null,
        1,
      ),
  };
}

/** A container: a fresh namespace with lo up. */
export const container = (t: TestContext): Promise<string> => makeNetns(t, 'tc');

/** True when `ns` gets an answer to one ping of `addr` within 2 s (three tries: ARP, OVS learning). */
export async function pings(ns: string, addr: string, tries = 3): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (
      (await runIn(ns, 'busybox', ['ping', '-c', '1', '-W', '2', addr], { allowFailure: true, timeoutMs: 10000 }))
        .exitCode === 0
    )
      return true;
  }
  return false;
}

const SERVER =
  "const s=require('net').createServer(c=>c.pipe(c)).listen(5000,process.argv[1],()=>console.log('up'));" +
  'setTimeout(()=>s.close(),15000).unref();';
const CLIENT =
  "const c=require('net').connect(5000,process.argv[1],()=>c.end(Buffer.alloc(200000,120)));" +
  "let n=0;c.on('data',d=>n+=d.length);" +
  "c.on('end',()=>{console.log(n);process.exit(n===200000?0:1)});" +
  "c.on('error',e=>{console.error(e.message);process.exit(2)});" +
  'setTimeout(()=>process.exit(3),8000);';

/** True when a TCP echo of 200 kB from `clientNs` to `addr`:5000 in `serverNs` comes back whole. */
export async function tcpEchoes(serverNs: string, addr: string, clientNs: string): Promise<boolean> {
  const srv = spawn(...commandIn({ name: serverNs }, 'node', ['-e', SERVER, addr]), {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      srv.stdout!.once('data', () => resolve());
      srv.once('exit', (c) => reject(new Error(`echo server exited ${c}`)));
    });
    const r = await runIn(clientNs, 'node', ['-e', CLIENT, addr], { allowFailure: true, timeoutMs: 15000 });
    return r.exitCode === 0;
  } finally {
    srv.kill('SIGKILL');
  }
}

/**
 * Linux bridge br0 on the host of `e` with `<net>.1/24` (and `mac` when given), and dnsmasq
 * serving it: range `<net>.100`..`<net>.200`, router `<net>.1`, DNS `<net>.53`; killed after.
 */
export async function dhcpOnBridge(t: Pick<TestContext, 'after'>, e: NicEnv, net: string, mac?: string): Promise<void> {
  await ip({ name: e.host }, ['link', 'add', 'name', 'br0', ...(mac ? ['address', mac] : []), 'type', 'bridge']);
  await ip({ name: e.host }, ['addr', 'add', `${net}.1/24`, 'dev', 'br0']);
  await ip({ name: e.host }, ['link', 'set', 'br0', 'up']);
  const dnsmasq = spawn(
    ...commandIn({ name: e.host }, 'dnsmasq', [
      '--keep-in-foreground',
      '--no-daemon',
      '--port=0',
      '--no-resolv',
      '--no-hosts',
      '--bind-interfaces',
      '--interface=br0',
      '--except-interface=lo',
      `--dhcp-leasefile=${join(e.ovs.dir, 'leases')}`,
      `--pid-file=${join(e.ovs.dir, 'dnsmasq.pid')}`,
      `--dhcp-range=${net}.100,${net}.200,255.255.255.0,3600`,
      `--dhcp-option=option:router,${net}.1`,
      `--dhcp-option=option:dns-server,${net}.53`,
    ]),
    { stdio: 'ignore' },
  );
  t.after(() => {
    dnsmasq.kill('SIGKILL');
  });
}
