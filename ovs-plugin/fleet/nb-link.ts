// The plugin's connections to OVN's databases. NB: one client per NB remote list, kept for the
// process (the daemon reuses it; exec exits after its one command), connected to the first
// reachable address in the order given, with a monitor on the logical switches and ports (its
// cache is current when a transact resolves, client.ts). SB: one-shot reads (fleet.status,
// nic.check), never a monitor: a chassis has no reason to hold the whole SB.
import { Code, OvsdbError } from '../../lib/errors.ts';
import { connectOvsdb, type Client } from '../ovsdb/client.ts';
import { decodeSb, NB_DB, SB_DB } from '../ovsdb/ovn-rows.ts';
import type { Row } from '../ovsdb/types.ts';
import { parseRemotes, reachable } from './args.ts';

/** The NB columns fleet mode reads (the monitor covers these only). */
export const NB_MONITORED = {
  Logical_Switch: ['name', 'ports', 'external_ids'],
  Logical_Switch_Port: ['name', 'type', 'options', 'addresses', 'port_security', 'tag', 'up', 'external_ids'],
} as const;

const links = new Map<string, Promise<Client>>();

/** Connects to the first address of `remotes` (tcp:/unix:) that answers; EOVSDB_CONN naming all when none does. */
export async function connectFirst(field: string, remotes: string, waitMs = 3000): Promise<Client> {
  let last: unknown;
  for (const url of reachable(field, parseRemotes(field, remotes))) {
    try {
      return await connectOvsdb(url, { waitForConnectionMs: waitMs });
    } catch (err) {
      if (!(err instanceof OvsdbError && err.code === Code.EOVSDB_CONN)) throw err;
      last = err;
    }
  }
  throw last;
}

/** The NB client for `remotes` (the joined node's `zos-fleet-nb`), monitoring NB_MONITORED. */
export function nbClient(remotes: string): Promise<Client> {
  let p = links.get(remotes);
  if (!p) {
    p = (async () => {
      const c = await connectFirst('nb', remotes);
      try {
        await c.monitor(NB_DB, {
          Logical_Switch: { columns: [...NB_MONITORED.Logical_Switch] },
          Logical_Switch_Port: { columns: [...NB_MONITORED.Logical_Switch_Port] },
        });
      } catch (err) {
        await c.close();
        throw err;
      }
      return c;
    })();
    links.set(remotes, p);
    p.catch(() => links.delete(remotes));
  }
  return p;
}

/** Selects `columns` of SB rows of `table` matching `where` on a short-lived connection to `remotes`. */
export async function sbSelect(
  remotes: string,
  table: string,
  where: [string, '==', string][],
  columns: string[],
): Promise<Row[]> {
  const c = await connectFirst('sb', remotes);
  try {
    const [r] = await c.transact(SB_DB, [{ op: 'select', table, where, columns }]);
    return r?.rows ?? [];
  } finally {
    await c.close();
  }
}

/** Whether the SB holds chassis `name` (ovn-controller registered it), with its hostname and encaps' IPs. */
export async function sbChassis(remotes: string, name: string): Promise<{ hostname: string } | undefined> {
  const rows = await sbSelect(remotes, 'Chassis', [['name', '==', name]], ['name', 'hostname']);
  return rows[0] ? { hostname: decodeSb('Chassis', rows[0], ['hostname']).hostname } : undefined;
}

/** The SB binding of logical port `port`: the chassis it is bound to (name) and `up`. */
export async function sbBinding(
  remotes: string,
  port: string,
): Promise<{ chassis?: string; up?: boolean } | undefined> {
  const c = await connectFirst('sb', remotes);
  try {
    const [r] = await c.transact(SB_DB, [
      { op: 'select', table: 'Port_Binding', where: [['logical_port', '==', port]], columns: ['chassis', 'up'] },
    ]);
    const row = r?.rows?.[0];
    if (!row) return undefined;
    const b = decodeSb('Port_Binding', row, ['chassis', 'up']);
    if (!b.chassis) return { ...(b.up !== undefined ? { up: b.up } : {}) };
    const [ch] = await c.transact(SB_DB, [
      { op: 'select', table: 'Chassis', where: [['_uuid', '==', ['uuid', b.chassis]]], columns: ['name'] },
    ]);
    const name = ch?.rows?.[0] ? decodeSb('Chassis', ch.rows[0], ['name']).name : b.chassis;
    return { chassis: name, ...(b.up !== undefined ? { up: b.up } : {}) };
  } finally {
    await c.close();
  }
}
