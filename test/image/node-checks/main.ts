// dist/zos-test-checks.js: the boot tests' in-node checks, only in the test images (image/build.sh
// copies it in when given TEST_CHECKS; image/test-hook.sh runs it before the STATUS line). Each
// check is printed as one line in one write() on the console:
//   always          -> `SERVICES {...}`: zinit's list, and dhcp-zos's status and command line;
//                      `NET {...}`: zos's link details and bridge VLANs.
//   zos.test.plugin -> `PLUGIN {...}`: ovs-plugin's socket answers ovs.bridge-add and
//                      ovs.vlan-ensure, and the bridge is in the kernel datapath.
//   zos.test.nics[=SPARE] -> `NICS {...}`: nic.attach/detach of vlan nics with traffic, and of
//                      the spare NIC as passthrough returned by nic.gc (nic-checks.ts).
//   zos.test.scale[=netdev] -> `SCALE {...}`: nic attach+detach and vlan-ensure at 0 and 1,000
//                      ports/VLANs on the kernel datapath (and the userspace one) (scale-checks.ts).
//   zos.test.wg     -> `WG {...}`: kernel WireGuard through lib/wireguard/kernel.ts and the plugin's
//                      wg-genl helper: two links moved into two namespaces handshake and ping (wg-checks.ts).
//   zos.test.overlay=DOC -> `OVERLAY {...}`: net.apply of DOC (base64url JSON {netid, network,
//                      peer}) over the plugin's socket, a `network` nic in a container namespace,
//                      ping of `peer` (a container on another node) from it (overlay-checks.ts).
//   zos.test.fleet=DOC -> `FLEET {...}`: fleet.join, the SB seeing this chassis (the image's
//                      ovn-controller unit), fleet.network-ensure, a `fleet` nic in a container
//                      namespace, ping of the other node's container over Geneve (fleet-checks.ts).
//   zos.test.rerun  -> `RERUN {...}`: `zinit start internet` on the online node: how long the
//                      agent took, its end state, and whether links/addresses/routes changed.
import { openSync, statSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { run } from '../../../lib/exec.ts';
import { ZinitClient } from '../../../zinit/client.ts';
import { OvsPluginClient } from '../../../ovs-plugin/transports/client.ts';
import { nicChecks } from './nic-checks.ts';
import { scaleChecks } from './scale-checks.ts';
import { wgChecks } from './wg-checks.ts';
import { overlayChecks } from './overlay-checks.ts';
import { fleetChecks } from './fleet-checks.ts';

const PLUGIN_SOCKET = '/var/run/ovs-plugin.sock';
const STATUS = '/run/internet/status.json';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function print(tag: string, v: unknown): void {
  const fd = openSync('/dev/console', 'w');
  writeSync(fd, `${tag} ${JSON.stringify(v)}\n`);
}

/** A client of the plugin's socket once it serves (120 s at most). */
async function pluginClient(): Promise<OvsPluginClient | undefined> {
  const t0 = Date.now();
  let client: OvsPluginClient | undefined;
  while (!client && Date.now() - t0 < 120_000) {
    client = await OvsPluginClient.connect(PLUGIN_SOCKET).catch(() => undefined);
    if (!client) await sleep(200);
  }
  return client;
}

async function pluginCheck(): Promise<Record<string, unknown>> {
  const t0 = Date.now();
  const client = await pluginClient();
  if (!client) return { ok: false, error: `no ${PLUGIN_SOCKET} within 120 s` };
  const waitedMs = Date.now() - t0;
  const answers: Record<string, unknown> = {};
  try {
    answers.bridgeAdd = await client.call('ovs.bridge-add', { bridge: 'zt0', may_exist: true });
    answers.vlanEnsure = await client.call('ovs.vlan-ensure', { master: 'zt0', vlan: 42 });
    answers.vlanEnsureAgain = await client.call('ovs.vlan-ensure', { master: 'zt0', vlan: 42 });
  } catch (err) {
    return { ok: false, waitedMs, answers, error: (err as Error).message, code: (err as { code?: string }).code };
  }
  const dp = await run('ovs-vsctl', ['--timeout=10', 'get', 'bridge', 'zt0', 'datapath_type'], { allowFailure: true });
  const dpctl = await run('ovs-appctl', ['-t', '/var/run/openvswitch/ovs-vswitchd.ctl', 'dpctl/show'], {
    allowFailure: true,
  });
  const link = await run('ip', ['-j', 'link', 'show', 'dev', 'zt0'], { allowFailure: true });
  return {
    ok: true,
    waitedMs,
    commandsMs: Date.now() - t0 - waitedMs,
    answers,
    datapathType: dp.stdout.trim(),
    kernelDatapath: dpctl.stdout,
    kernelLink: link.exitCode === 0,
  };
}

/** What the node's network looks like, without the fields that move on their own (timers, lifetimes). */
async function snapshot(): Promise<unknown> {
  const volatile = /timer$|_life_time$|^expires$|^stats|^used$|^tentative$/;
  const clean = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(clean)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .filter(([k]) => !volatile.test(k))
              .map(([k, x]) => [k, clean(x)]),
          )
        : v;
  const out: Record<string, unknown> = {};
  for (const [k, args] of Object.entries({
    links: ['-d', '-j', 'link', 'show'],
    addrs: ['-j', 'addr', 'show'],
    routes4: ['-j', '-4', 'route', 'show'],
    routes6: ['-j', '-6', 'route', 'show'],
  }))
    out[k] = clean(JSON.parse((await run('ip', args)).stdout || '[]'));
  out.vlans = clean(JSON.parse((await run('bridge', ['-j', 'vlan', 'show'])).stdout || '[]'));
  out.resolv = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  return out;
}

async function rerunCheck(): Promise<Record<string, unknown>> {
  const zinit = new ZinitClient('/var/run/zinit.sock', 5000);
  // Let the units that start after internet (OVS, the plugin) settle first: their links are
  // not the agent's doing.
  const settle = Date.now();
  while (
    Date.now() - settle < 60_000 &&
    Object.values(await zinit.list()).some((st) => st === 'Spawned' || st === 'Blocked')
  )
    await sleep(200);
  const before = JSON.stringify(await snapshot());
  const mtime0 = statSync(STATUS).mtimeMs;
  const t0 = Date.now();
  await zinit.call('start', 'internet');
  let state = '';
  let seenRun = false;
  while (Date.now() - t0 < 60_000) {
    state = (await zinit.status('internet'))?.state ?? 'unknown';
    if (state === 'Running') seenRun = true;
    if ((seenRun || statSync(STATUS).mtimeMs !== mtime0) && state !== 'Running' && state !== 'Blocked') break;
    await sleep(50);
  }
  const ms = Date.now() - t0;
  const after = JSON.stringify(await snapshot());
  return { ms, state, changed: before !== after, ...(before !== after ? { before, after } : {}) };
}

async function services(): Promise<Record<string, unknown>> {
  const zinit = new ZinitClient('/var/run/zinit.sock', 5000);
  const list = await zinit.list();
  const dhcp = await zinit.status('dhcp-zos');
  const cmd = dhcp?.pid
    ? (await readFile(`/proc/${dhcp.pid}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean)
    : [];
  return { list, dhcpZos: dhcp, dhcpZosCmdline: cmd };
}

async function net(): Promise<Record<string, unknown>> {
  const zos = await run('ip', ['-d', '-j', 'link', 'show', 'dev', 'zos'], { allowFailure: true });
  const vlans = await run('bridge', ['-j', 'vlan', 'show'], { allowFailure: true });
  const parse = (t: string) => {
    try {
      return JSON.parse(t);
    } catch {
      return t;
    }
  };
  return { zos: parse(zos.stdout)?.[0]?.linkinfo ?? null, vlans: parse(vlans.stdout) };
}

/** Prints `tag` with what `check` finds through a client of the plugin, or that its socket is not there. */
async function viaPlugin(tag: string, check: (c: OvsPluginClient) => Promise<unknown>): Promise<void> {
  const client = await pluginClient();
  try {
    print(tag, client ? await check(client) : { ok: false, error: `no ${PLUGIN_SOCKET}` });
  } finally {
    client?.close();
  }
}

/** Runs the checks the command line asks for; 0 unless a check could not run at all. */
async function runTestChecks(): Promise<number> {
  const cmdline = await readFile('/proc/cmdline', 'utf8');
  const words = cmdline.trim().split(/\s+/);
  try {
    print('SERVICES', await services());
    print('NET', await net());
    if (words.includes('zos.test.plugin')) print('PLUGIN', await pluginCheck());
    const nics = words.find((w) => w === 'zos.test.nics' || w.startsWith('zos.test.nics='));
    if (nics) await viaPlugin('NICS', (c) => nicChecks(c, nics.split('=')[1] || undefined));
    const scale = words.find((w) => w === 'zos.test.scale' || w.startsWith('zos.test.scale='));
    if (scale) await viaPlugin('SCALE', (c) => scaleChecks(c, scale === 'zos.test.scale=netdev'));
    if (words.includes('zos.test.wg')) print('WG', await wgChecks());
    const overlay = words.find((w) => w.startsWith('zos.test.overlay='));
    if (overlay) await viaPlugin('OVERLAY', (c) => overlayChecks(c, overlay.slice('zos.test.overlay='.length)));
    const fleet = words.find((w) => w.startsWith('zos.test.fleet='));
    if (fleet) await viaPlugin('FLEET', (c) => fleetChecks(c, fleet.slice('zos.test.fleet='.length)));
    if (words.includes('zos.test.rerun')) print('RERUN', await rerunCheck());
    return 0;
  } catch (err) {
    print('CHECKS', { ok: false, error: (err as Error).message });
    return 1;
  }
}

void runTestChecks().then((code) => process.exit(code));
