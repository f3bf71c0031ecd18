// Hand-off to zinit: `<zinit-dir>/dhcp-zos.yaml`, a permanent busybox udhcpc on zos that asks
// for the lease the probe already holds (`-r <ip>`) with a hook script that does not flush zos
// when it starts (dhcp-zos-script.ts), then `monitor dhcp-zos` over the socket.
// Idempotent: registered with the same file -> nothing; changed file -> stop, forget, monitor
// (zinit v0.2 has no reload: a changed unit file is read only by a new `monitor`).
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/atomic-file.ts';
import { isMissingPath } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import type { ZinitClient } from '../../zinit/client.ts';
import { DHCP_ZOS_SCRIPT, writeDhcpZosScript } from './dhcp-zos-script.ts';

/** zinit service name of the permanent DHCP client (as Zero-OS names it). */
export const DHCP_ZOS = 'dhcp-zos';

/** What dhcp-zos needs: the lease to keep, where its hook script is, where DNS goes. */
export interface DhcpZosSpec {
  leasedIp: string;
  script: string;
  resolvConf: string;
}

/** Text of dhcp-zos.yaml (zinit splits exec with shlex; no shell involved; paths have no spaces). */
export function dhcpZosUnit(s: DhcpZosSpec): string {
  return [
    '# Written by internet: the permanent DHCP client on zos, renewing the lease the probe got.',
    `exec: udhcpc -f -i zos -r ${s.leasedIp} -s ${s.script}`,
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

/** True when zinit knows dhcp-zos, its file is the one for `spec` and the script is there. */
export async function dhcpZosInPlace(client: ZinitClient, zinitDir: string, spec: DhcpZosSpec): Promise<boolean> {
  const file = await readOr(join(zinitDir, `${DHCP_ZOS}.yaml`));
  return file === dhcpZosUnit(spec) && (await readOr(spec.script)) === DHCP_ZOS_SCRIPT && (await client.status(DHCP_ZOS)) !== null;
}

/** Writes dhcp-zos.yaml and has zinit monitor it; returns what it had to do. */
export async function handoff(client: ZinitClient, zinitDir: string, spec: DhcpZosSpec, log: Logger): Promise<'unchanged' | 'monitored' | 'reloaded'> {
  const path = join(zinitDir, `${DHCP_ZOS}.yaml`);
  const want = dhcpZosUnit(spec);
  await writeDhcpZosScript(spec.script);
  const have = await readOr(path);
  const known = (await client.status(DHCP_ZOS)) !== null;
  if (known && have === want) {
    log.info('handoff.unchanged', { service: DHCP_ZOS });
    return 'unchanged';
  }
  if (have !== want) await writeFileAtomic(path, want);
  if (known) {
    await client.stop(DHCP_ZOS);
    await client.forget(DHCP_ZOS);
  }
  await client.monitor(DHCP_ZOS);
  log.info('handoff.monitored', { service: DHCP_ZOS, file: path, leasedIp: spec.leasedIp, reloaded: known || undefined });
  return known ? 'reloaded' : 'monitored';
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
