// `config.dhcp`: a renewing busybox udhcpc inside the target (not v1's one-shot `udhcpc -q`),
// started detached so it outlives an exec call, with its pid file named in the record before it
// starts: detach and gc stop it by that file (checking the process is that udhcpc), whatever
// crashed in between. Its hook script is the generic udhcpc hook dhcp-zos is built on too
// (lib/udhcpc-hook.ts): it replaces address, routes and DNS in place. DNS always goes to the
// nic's file beside the state; with a root, the helper (resolv-helper.ts) then copies it into
// <root>/etc/resolv.conf without following any link there. The hook's deconfig mark is the nic's
// `dhcp-<hex>.mark` beside the state, removed before a client starts and when it is stopped.
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isMissingPath, isProcessGone } from '../../lib/errors.ts';
import { ARP_CHECK, ipPath } from '../../lib/tools.ts';
import { sleep } from '../../lib/backoff.ts';
import { spawnDetached } from '../../lib/child.ts';
import type { NetnsRef } from '../../lib/netns.ts';
import { udhcpcHookScript, writeScript } from '../../lib/udhcpc-hook.ts';
import { helperPath, RESOLV_HELPER } from './resolv-helper.ts';
import type { UndoStack } from '../../lib/undo.ts';
import { withoutSlot } from '../slot.ts';
import type { NicRecord } from './types.ts';

/** The hook script of the nics' clients (`ip`: iproute2's, by its path). */
const hookScript = (ip: string): string =>
  udhcpcHookScript({
    ip,
    name: 'udhcpc-nic',
    writtenBy: 'ovs-plugin',
    comment: [
      'udhcpc hook of ovs-plugin DHCP nics. Environment from udhcpc: interface ip mask router dns',
      'domain staticroutes; RESOLV_CONF, RESOLV_ROOT, RESOLV_NODE, RESOLV_HELPER, UDHCPC_MARK from the plugin.',
    ],
    afterResolv: '{ [ -z "$RESOLV_ROOT" ] || "$RESOLV_NODE" "$RESOLV_HELPER" "$RESOLV_CONF" "$RESOLV_ROOT"; }',
  });

/** The hook's deconfig mark of the nic whose pid file is `pidfile` (one per nic, so detach can remove it). */
export const markOf = (pidfile: string): string => pidfile.replace(/\.pid$/, '') + '.mark';

/** Paths of one nic's client, beside the state file: pid file, hook script, resolv.conf without a root. */
export function dhcpFiles(statePath: string, hex: string): { pidfile: string; script: string; resolv: string } {
  const dir = dirname(statePath);
  return {
    pidfile: join(dir, `dhcp-${hex}.pid`),
    script: join(dir, 'udhcpc-nic.sh'),
    resolv: join(dir, `dhcp-${hex}.resolv`),
  };
}

/** The client's pid if its pid file names a live udhcpc that was given that pid file. */
async function clientPid(pidfile: string): Promise<number | undefined> {
  const pid = Number(
    (
      await readFile(pidfile, 'utf8').catch((err: unknown) => {
        if (isMissingPath(err)) return '';
        throw err;
      })
    ).trim(),
  );
  if (!Number.isInteger(pid) || pid < 2) return undefined;
  // No such process (ENOENT), or it exited while read (ESRCH): not running.
  const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch((err: unknown) => {
    if (isMissingPath(err) || isProcessGone(err)) return '';
    throw err;
  });
  return cmd.includes('udhcpc') && cmd.split('\0').includes(pidfile) ? pid : undefined;
}

/** True once the hook applied a lease whole (its mark says `bound`). */
const leaseApplied = async (pidfile: string): Promise<boolean> =>
  (
    await readFile(markOf(pidfile), 'utf8').catch((err) => {
      if (isMissingPath(err)) return '';
      throw err;
    })
  ).trim() === 'bound';

/** True while the nic's client runs. */
export const dhcpRunning = async (rec: NicRecord): Promise<boolean> =>
  !!rec.dhcp && (await clientPid(rec.dhcp.pidfile)) !== undefined;

/**
 * Starts the client on `rec.name` in `target` and waits up to `waitMs` for an address (it keeps trying after); the
 * daemon's command slot is given back between polls.
 */
export async function startDhcp(target: NetnsRef, rec: NicRecord, waitMs: number, undo?: UndoStack): Promise<void> {
  const f = rec.dhcp!;
  if (await clientPid(f.pidfile)) return;
  // iproute2's ip by its path (busybox's would ignore options the script uses).
  await writeScript(f.script, hookScript(await ipPath()));
  await writeScript(helperPath(f.script), RESOLV_HELPER);
  // A new client's first deconfig must find no mark (it would flush the address in place).
  await rm(markOf(f.pidfile), { force: true });
  // -f: stay in front of the pid we spawn (detached from us, so it outlives an exec call);
  // no -q / -n: renew for ever, and keep discovering (every -A s) while no server answers;
  // an offered address another host holds is declined (ARP_CHECK).
  await spawnDetached(
    target,
    'busybox',
    ['udhcpc', '-f', '-i', rec.name, '-s', f.script, '-p', f.pidfile, '-t', '3', '-T', '1', '-A', '3', ARP_CHECK],
    {
      env: {
        RESOLV_CONF: f.resolv,
        RESOLV_ROOT: rec.nic.root ?? '',
        RESOLV_NODE: process.execPath,
        RESOLV_HELPER: helperPath(f.script),
        UDHCPC_MARK: markOf(f.pidfile),
      },
    },
  );
  undo?.push('stop dhcp client', () => stopDhcp(rec));
  const end = Date.now() + waitMs;
  // The hook writes `bound` into the mark once address, routes and DNS (in the root too) are in
  // place: a file read per poll, no child process.
  while (Date.now() < end && !(await leaseApplied(f.pidfile))) await withoutSlot(() => sleep(100));
}

/** Stops the nic's client (SIGTERM, then SIGKILL) and removes its files; not running is success. */
export async function stopDhcp(rec: NicRecord): Promise<void> {
  if (!rec.dhcp) return;
  const pid = await clientPid(rec.dhcp.pidfile);
  if (pid) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch (err) {
      if (!isProcessGone(err)) throw err;
    }
    for (let i = 0; i < 20 && (await clientPid(rec.dhcp.pidfile)) === pid; i++) await sleep(50);
    try {
      if ((await clientPid(rec.dhcp.pidfile)) === pid) process.kill(pid, 'SIGKILL');
    } catch (err) {
      if (!isProcessGone(err)) throw err;
    }
  }
  await rm(rec.dhcp.pidfile, { force: true });
  await rm(rec.dhcp.resolv, { force: true });
  await rm(markOf(rec.dhcp.pidfile), { force: true });
  // the mark of a client started before marks were per nic
  if (pid) await rm(`${rec.dhcp.script}.${pid}`, { force: true });
}
