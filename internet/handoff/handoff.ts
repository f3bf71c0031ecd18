// Hand-off to zinit: `<zinit-dir>/dhcp-zos.yaml`, a permanent busybox udhcpc on zos that asks
// for the lease the probe already holds (`-r <ip>`), run through our script (dhcp-zos-script.ts:
// it keeps zos up and is the client's hook), then `monitor dhcp-zos` over the socket, and then
// `status dhcp-zos` until zinit says it runs (dhcp-zos-wait.ts): zinit never retries a unit it
// could not spawn, so a hand-off counts only once the client runs.
// Idempotent: registered, running, with the same file -> nothing; anything else -> stop, forget,
// monitor (zinit v0.2 has no reload: a changed unit file is read only by a new `monitor`).
import { access, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/atomic-file.ts';
import { AgentError, isMissingPath } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import type { ZinitClient } from '../../zinit/client.ts';
import { ARP_CHECK, checkDhcpClient, dhcpClient, ipPath, iproute2Ip, type DhcpClient } from '../../lib/tools.ts';
import { dhcpZosScript, scriptInPlace, writeDhcpZosScript } from './dhcp-zos-script.ts';
import { DHCP_ZOS, waitDhcpZos, type WaitDhcpZosOptions } from './dhcp-zos-wait.ts';

export { DHCP_ZOS } from './dhcp-zos-wait.ts';

/** Absolute paths dhcp-zos runs: the DHCP client (the probe's own) and iproute2's ip. */
export interface HandoffTools {
  client: DhcpClient;
  ip: string;
}

/** What dhcp-zos needs: the lease to keep, where its script is, where DNS goes; tools: resolved if absent. */
export interface DhcpZosSpec {
  leasedIp: string;
  script: string;
  resolvConf: string;
  tools?: HandoffTools;
}

/** What the hand-off did, and what zinit reported for dhcp-zos afterwards. */
export interface HandoffResult {
  action: 'unchanged' | 'monitored' | 'reloaded' | 'removed' | 'none';
  service?: { state: string; pid: number };
}

/** The spec's tools, or this run's DHCP client and ip; EDHCPCLIENT when the client is not there. */
export async function handoffTools(spec: DhcpZosSpec): Promise<HandoffTools> {
  // iproute2Ip: resolved once per run (discovery already did); ipPath names the failure.
  const tools = spec.tools ?? { client: await dhcpClient(), ip: (await iproute2Ip()) ?? (await ipPath()) };
  await checkDhcpClient(tools.client);
  return tools;
}

/** Text of dhcp-zos.yaml (zinit splits exec with shlex; no shell involved; paths have no spaces). */
export function dhcpZosUnit(s: DhcpZosSpec, t: HandoffTools): string {
  return [
    '# Written by internet: the permanent DHCP client on zos, renewing the lease the probe got.',
    '# The script keeps zos up (udhcpc never recovers from a downed link), then execs the client.',
    `exec: ${s.script} run ${t.client.argv.join(' ')} -f -i zos -r ${s.leasedIp} ${ARP_CHECK} -s ${s.script}`,
    'env:',
    `  RESOLV_CONF: ${s.resolvConf}`,
    'log: stdout',
    '',
  ].join('\n');
}

async function readOr(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isMissingPath(err)) return undefined;
    throw err;
  }
}

/** True when dhcp-zos runs under zinit from the file for `spec`, and its script is in place. */
export async function dhcpZosInPlace(client: ZinitClient, zinitDir: string, spec: DhcpZosSpec): Promise<boolean> {
  // No DHCP client or ip to run it with (EDHCPCLIENT, EIPMISSING): not in place; anything else is thrown.
  const tools = await handoffTools(spec).catch((err: unknown) => {
    if (err instanceof AgentError) return undefined;
    throw err;
  });
  if (!tools) return false;
  const file = await readOr(join(zinitDir, `${DHCP_ZOS}.yaml`));
  return (
    file === dhcpZosUnit(spec, tools) &&
    (await scriptInPlace(spec.script, dhcpZosScript(tools.ip))) &&
    (await client.status(DHCP_ZOS))?.state === 'Running'
  );
}

/** The mark dhcp-zos's hook leaves beside itself for the udhcpc with `pid` (its deconfig at start). */
export const startedMark = (script: string, pid: number): string => `${script}.${pid}`;

const started =
  (spec: DhcpZosSpec) =>
  (pid: number): Promise<boolean> =>
    access(startedMark(spec.script, pid)).then(
      () => true,
      (err: unknown) => {
        if (isMissingPath(err)) return false;
        throw err;
      },
    );

/** Writes dhcp-zos.yaml, has zinit monitor it and waits until it runs (EDHCPZOS if it does not). */
export async function handoff(
  client: ZinitClient,
  zinitDir: string,
  spec: DhcpZosSpec,
  log: Logger,
  wait: WaitDhcpZosOptions = {},
): Promise<HandoffResult> {
  const tools = await handoffTools(spec);
  const path = join(zinitDir, `${DHCP_ZOS}.yaml`);
  const want = dhcpZosUnit(spec, tools);
  await writeDhcpZosScript(spec.script, dhcpZosScript(tools.ip));
  const have = await readOr(path);
  const st = await client.status(DHCP_ZOS);
  if (st && have === want && st.state === 'Running') {
    // one Running answer may be a client that is about to exit again
    const s = await waitDhcpZos(client, { started: started(spec), ...wait });
    log.info('handoff.unchanged', { service: DHCP_ZOS, pid: s.pid });
    return { action: 'unchanged', service: { state: s.state, pid: s.pid } };
  }
  if (have !== want) await writeFileAtomic(path, want);
  if (st) {
    // A unit zinit could not spawn (Failure) is never retried by zinit itself: reload it too.
    log.info('handoff.reload', { service: DHCP_ZOS, state: st.state, changed: have !== want });
    await client.stop(DHCP_ZOS);
    await client.forget(DHCP_ZOS);
  }
  await client.monitor(DHCP_ZOS);
  const s = await waitDhcpZos(client, { started: started(spec), ...wait });
  log.info('handoff.monitored', {
    service: DHCP_ZOS,
    file: path,
    leasedIp: spec.leasedIp,
    client: tools.client.argv.join(' '),
    state: s.state,
    pid: s.pid,
    reloaded: st ? true : undefined,
  });
  return { action: st ? 'reloaded' : 'monitored', service: { state: s.state, pid: s.pid } };
}

/** Static ip= and IPv6-only need no DHCPv4 client: a dhcp-zos left from before is removed. */
export async function removeDhcpZos(client: ZinitClient, zinitDir: string, log: Logger): Promise<boolean> {
  const path = join(zinitDir, `${DHCP_ZOS}.yaml`);
  const known = (await client.status(DHCP_ZOS)) !== null;
  const file = await readOr(path);
  if (!known && file === undefined) return false;
  if (known) {
    await client.stop(DHCP_ZOS);
    await client.forget(DHCP_ZOS);
  }
  await rm(path, { force: true });
  log.info('handoff.removed', { service: DHCP_ZOS, reason: 'no DHCPv4 on zos (static ip= or IPv6-only)' });
  return true;
}
