// In-node scale measurement (`zos.test.scale[=netdev]`, printed as `SCALE {...}`), through the
// plugin's socket, on `backplane` in the kernel datapath (and then, with `=netdev`, the same on
// a `backplane` remade in the userspace datapath, same boot):
//   nics   attach+detach of a `vlan` nic (VLAN 10) in each of N namespaces, with 0 and with
//          FILL other ports on vlbr10 (veth pairs left down, made in one `ip -batch`, added 100
//          per ovs-vsctl call): the latencies' p50 per attach+detach, and the ratio.
//   vlans  vlan-ensure of N new VLANs on backplane with 0 and with FILL existing fake bridges
//          (ovs-vsctl add-br, 100 per call): ms per VLAN, and the ratio.
// Absolute figures are TCG's (~10x slower than the host); the ratios are the point.
import { run } from '../../../lib/exec.ts';
import type { OvsPluginClient } from '../../../ovs-plugin/transports/client.ts';

const N = 20;
const FILL = 1000;
const MASTER = 'backplane';
const VSCTL = ['--timeout=600'];
const long = { timeoutMs: 900_000 };
const vsctl = (...args: string[]) => run('ovs-vsctl', [...VSCTL, ...args], long);
const round = (x: number) => Math.round(x * 10) / 10;

async function portCount(): Promise<number> {
  const r = await vsctl('--format=csv', '--no-headings', '--columns=name', 'list', 'Port');
  return r.stdout.split('\n').filter(Boolean).length;
}

/** `count` ovs-vsctl commands made by `cmd(j)`, 100 per call; ms in all. */
async function inBatches(count: number, cmd: (j: number) => string[]): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < count; i += 100) {
    const args: string[] = [];
    for (let j = i; j < Math.min(count, i + 100); j++) args.push('--', ...cmd(j));
    await vsctl(...args);
  }
  return round(performance.now() - t0);
}

/** Latencies of attach+detach, one namespace after another: p50, min, max, mean in ms. */
async function attachDetach(client: OvsPluginClient, spaces: string[]): Promise<Record<string, number>> {
  const ms: number[] = [];
  for (const ns of spaces) {
    const t0 = performance.now();
    const r = await client.nicAttach({ target: { netns: ns }, nic: { type: 'vlan', id: '10' } });
    await client.nicDetach({ target: { netns: ns }, name: r.name });
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return {
    p50: round(ms[Math.floor(ms.length / 2)]!),
    min: round(ms[0]!),
    max: round(ms.at(-1)!),
    mean: round(ms.reduce((a, b) => a + b, 0) / ms.length),
    ports: await portCount(),
  };
}

/** The switch alone, as an anchor: p50 ms of ovs-vsctl add-port + del-port of a spare veth
 * (anc0..), and ms each of ovs-vsctl add-br of a fake bridge (tags `from`..), 10 of each. */
async function switchAlone(from: number, ports = true): Promise<Record<string, number>> {
  const ms: number[] = [];
  for (let k = 0; ports && k < 10; k++) {
    const t0 = performance.now();
    await vsctl('add-port', 'vlbr10', `anc${k}`);
    await vsctl('del-port', 'vlbr10', `anc${k}`);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const t0 = performance.now();
  for (let k = 0; k < 10; k++) await vsctl('add-br', `av${from + k}`, MASTER, String(from + k));
  return { ...(ports ? { portP50: round(ms[5]!) } : {}), fakeBridgeMs: round((performance.now() - t0) / 10) };
}

/** ms per VLAN of vlan-ensure of tags `from`..`from+N-1`, one after another. */
async function newVlans(client: OvsPluginClient, from: number): Promise<Record<string, number>> {
  const t0 = performance.now();
  for (let k = 0; k < N; k++) await client.vlanEnsure({ master: MASTER, vlan: from + k });
  return { msPerVlan: round((performance.now() - t0) / N), ports: await portCount() };
}

/** One pass on a fresh `backplane` of datapath `dp`; the fill veths exist (fill0..). `nics`
 * false: no nic.attach (on netdev the plugin needs ethtool, which the image lacks). */
async function pass(
  client: OvsPluginClient,
  dp: string,
  spaces: string[],
  nics: boolean,
): Promise<Record<string, unknown>> {
  await vsctl('--if-exists', 'del-br', MASTER);
  await client.bridgeAdd({ bridge: MASTER, options: { datapath_type: dp } });
  await client.vlanEnsure({ master: MASTER, vlan: 10 });
  const out: Record<string, unknown> = {
    datapath: (await vsctl('get', 'bridge', MASTER, 'datapath_type')).stdout.trim(),
  };
  // nics: 0, then FILL other ports on vlbr10 (taken off again before the VLAN part).
  const sw0 = await switchAlone(4001);
  const nic0 = nics ? await attachDetach(client, spaces) : undefined;
  const fillPortsMs = await inBatches(FILL, (j) => ['add-port', 'vlbr10', `fill${j}`]);
  const swFill = await switchAlone(4011);
  const nicFill = nics ? await attachDetach(client, spaces) : undefined;
  const unfillPortsMs = await inBatches(FILL, (j) => ['del-port', 'vlbr10', `fill${j}`]);
  out.switchAlone = { 0: sw0, [FILL]: swFill, portRatio: round(swFill.portP50! / sw0.portP50!) };
  if (nicFill && nic0)
    out.nics = { 0: nic0, [FILL]: nicFill, ratio: round(nicFill.p50! / nic0.p50!), fillPortsMs, unfillPortsMs };
  // vlans: N new at 0 existing, then FILL fake bridges, then N more.
  const vlan0 = await newVlans(client, 2001);
  const fillVlansMs = await inBatches(FILL, (j) => ['add-br', `fv${11 + j}`, MASTER, String(11 + j)]);
  const vlanFill = await newVlans(client, 3001);
  const fbFill = await switchAlone(4021, false);
  out.vlans = {
    0: vlan0,
    [FILL]: vlanFill,
    ratio: round(vlanFill.msPerVlan! / vlan0.msPerVlan!),
    fillVlansMs,
    switchFakeBridgeMs: {
      0: sw0.fakeBridgeMs,
      [FILL]: fbFill.fakeBridgeMs,
      ratio: round(fbFill.fakeBridgeMs! / sw0.fakeBridgeMs!),
    },
  };
  const t0 = performance.now();
  await vsctl('--if-exists', 'del-br', MASTER);
  out.delBridgeMs = round(performance.now() - t0);
  return out;
}

/** Both parts on the kernel datapath (and on the userspace one with `netdev`). */
export async function scaleChecks(client: OvsPluginClient, netdev: boolean): Promise<Record<string, unknown>> {
  const spaces = Array.from({ length: N }, (_, i) => `zsc${i}`);
  const out: Record<string, unknown> = { n: N, fill: FILL };
  const t0 = performance.now();
  try {
    await run('ip', ['-batch', '-'], { input: spaces.map((ns) => `netns add ${ns}\n`).join(''), ...long });
    const veths = [
      ...Array.from({ length: FILL }, (_, j) => `fill${j}`),
      ...Array.from({ length: 10 }, (_, k) => `anc${k}`),
    ]
      .map((n) => `link add name ${n} type veth peer name ${n}p\n`)
      .join('');
    await run('ip', ['-batch', '-'], { input: veths, ...long });
    out.vethsMs = round(performance.now() - t0);
    for (const dp of ['system', ...(netdev ? ['netdev'] : [])])
      out[dp] = await pass(client, dp, spaces, dp === 'system');
    out.ok = true;
  } catch (err) {
    Object.assign(out, { ok: false, error: (err as Error).message, code: (err as { code?: string }).code });
  } finally {
    await run('ip', ['-force', '-batch', '-'], {
      input: [...Array.from({ length: FILL }, (_, j) => `fill${j}`), ...Array.from({ length: 10 }, (_, k) => `anc${k}`)]
        .map((n) => `link del ${n}\n`)
        .join(''),
      allowFailure: true,
      ...long,
    });
    for (const ns of spaces) await run('ip', ['netns', 'del', ns], { allowFailure: true });
  }
  out.totalMs = round(performance.now() - t0);
  return out;
}
