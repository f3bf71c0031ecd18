// Waiting for ovs-vswitchd to apply a change, as ovs-vsctl does (vswitch.ovsschema): the
// transaction also increments Open_vSwitch.next_cfg and reads it back; ovs-vswitchd copies
// next_cfg into cur_cfg once it has reconfigured, which our monitor sees.
import type { Client } from './client.ts';
import { Code, OvsdbError, ovsdbTimeout, ovsdbUninitialised } from '../../lib/errors.ts';
import type { Operation, OperationResult } from './types.ts';

/** Database name of vswitch.ovsschema. */
export const VSWITCH_DB = 'Open_vSwitch';

/** Options of transactAndWait. */
export interface TransactAndWaitOptions {
  /** false: no next_cfg bump and no wait (like `ovs-vsctl --no-wait`). Default true. */
  wait?: boolean;
}

/** Result of transactAndWait: the caller's op results, and the next_cfg it waited for (if any). */
export interface WaitedResult {
  results: OperationResult[];
  nextCfg?: number;
}

const cfgMonitors = new WeakMap<Client, Promise<void>>();

/** Makes sure `client` monitors Open_vSwitch.cur_cfg/next_cfg (once per client; kept on reconnect). */
export function ensureCfgMonitor(client: Client): Promise<void> {
  let p = cfgMonitors.get(client);
  if (!p) {
    p = client.monitor(VSWITCH_DB, { Open_vSwitch: { columns: ['cur_cfg', 'next_cfg'] } });
    p.catch(() => cfgMonitors.delete(client));
    cfgMonitors.set(client, p);
  }
  return p;
}

/** Open_vSwitch.cur_cfg from the monitor cache (undefined before the monitor is up). */
export function curCfg(client: Client): number | undefined {
  const row = client.rows('Open_vSwitch')[0];
  return typeof row?.cur_cfg === 'number' ? row.cur_cfg : undefined;
}

/** The two operations ovs-vsctl appends: `next_cfg += 1`, then read next_cfg back. */
export function nextCfgOps(): Operation[] {
  return [
    { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['next_cfg', '+=', 1]] },
    { op: 'select', table: 'Open_vSwitch', where: [], columns: ['next_cfg'] },
  ];
}

/**
 * Runs `ops` in one transaction on Open_vSwitch, then waits (up to timeoutMs) until ovs-vswitchd
 * reports cur_cfg >= the new next_cfg. Throws OvsdbError EOVSDB_TXN / EOVSDB_TIMEOUT (the change
 * is committed even on timeout: the switch has not applied it yet, or is not running).
 */
export async function transactAndWait(
  client: Client,
  ops: Operation[],
  timeoutMs = 10000,
  opts: TransactAndWaitOptions = {},
): Promise<WaitedResult> {
  if (opts.wait === false) return { results: await client.transact(VSWITCH_DB, ops) };
  await ensureCfgMonitor(client);
  const all = await client.transact(VSWITCH_DB, [...ops, ...nextCfgOps()]);
  const sel = all[all.length - 1];
  const nextCfg = sel?.rows?.[0]?.next_cfg;
  if (typeof nextCfg !== 'number') {
    throw ovsdbUninitialised('transactAndWait: no Open_vSwitch row (database not initialised?)', { select: sel });
  }
  const results = all.slice(0, ops.length);
  try {
    await client.waitFor(() => (curCfg(client) ?? -Infinity) >= nextCfg, timeoutMs, 'ovs-vswitchd to apply the change');
  } catch (err) {
    if (err instanceof OvsdbError && err.code === Code.EOVSDB_TIMEOUT) {
      throw ovsdbTimeout('ovs-vswitchd to apply the change', timeoutMs, {
        nextCfg,
        curCfg: curCfg(client),
        committed: true,
      });
    }
    throw err;
  }
  return { results, nextCfg };
}
