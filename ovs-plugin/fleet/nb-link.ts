// The plugin's connections to OVN's databases. NB: one client per NB remote list, kept for the
// process while it is connected to the leader (the daemon reuses it; exec exits after its one
// command), connected to the member that leads (a standalone server always does; a Raft member
// says so in its _Server database), with a monitor on the logical switches and ports (its cache
// is current when a transact resolves, client.ts). SB: one-shot reads (fleet.status,
// nic.check) on the first member that answers, never a monitor: a chassis has no reason to hold
// the whole SB.
import { backoffDelay, sleep } from '../../lib/backoff.ts';
import { Code, OvsdbError, ovsdbConnError } from '../../lib/errors.ts';
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
      return await connectOvsdb(url, { waitForConnectionMs: waitMs, reconnect: false });
    } catch (err) {
      if (!(err instanceof OvsdbError && err.code === Code.EOVSDB_CONN)) throw err;
      last = err;
    }
  }
  throw last;
}

/** The _Server database's view of one database (ovsdb-server(5) "_Server"): clustered, leader, connected. */
interface ServerDb {
  model: string;
  leader: boolean;
  connected: boolean;
}

/** How `db` is served on `c`: a standalone database, or a Raft member and whether it leads. */
async function serverDb(c: Client, db: string): Promise<ServerDb | undefined> {
  const [r] = await c.transact('_Server', [
    { op: 'select', table: 'Database', where: [['name', '==', db]], columns: ['model', 'leader', 'connected'] },
  ]);
  const row = r?.rows?.[0] as Partial<ServerDb> | undefined;
  return row ? { model: String(row.model), leader: row.leader === true, connected: row.connected === true } : undefined;
}

/** True for a server `db` can be written and read fresh on: standalone, or the connected Raft leader. */
const leads = (s: ServerDb | undefined): boolean => !!s && (s.model !== 'clustered' || (s.leader && s.connected));

/**
 * Connects to the member of `remotes` that serves `db` as a leader (as ovn-nbctl does with
 * several remotes: its _Server row says `leader`), trying each address in turn, again with a
 * growing pause while an election is under way, for up to `waitMs`. The client does not
 * reconnect by itself: a lost connection or a lost leadership (watched through a monitor on
 * _Server) closes it, and the next use finds the leader again.
 */
export async function connectLeader(field: string, remotes: string, db: string, waitMs = 10000): Promise<Client> {
  const urls = reachable(field, parseRemotes(field, remotes));
  const end = Date.now() + waitMs;
  let last: unknown;
  for (let round = 0; ; round++) {
    for (const url of urls) {
      let c: Client | undefined;
      try {
        c = await connectOvsdb(url, { reconnect: false, waitForConnectionMs: Math.min(3000, waitMs) });
        if (leads(await serverDb(c, db))) {
          await watchLeadership(c, db);
          return c;
        }
        last = ovsdbConnError(`${url}: not the leader of ${db}`, { url });
      } catch (err) {
        if (!(err instanceof OvsdbError && (err.code === Code.EOVSDB_CONN || err.code === Code.EOVSDB_TXN))) throw err;
        last = err;
      }
      await c?.close();
    }
    if (Date.now() >= end) throw last;
    await sleep(backoffDelay(round + 1, { baseMs: 50, capMs: 500 }));
  }
}

// Closes `c` once its server stops leading `db` (or loses its cluster): the next use reconnects.
async function watchLeadership(c: Client, db: string): Promise<void> {
  await c.monitor('_Server', { Database: { columns: ['name', 'model', 'leader', 'connected'] } });
  c.onUpdate((name) => {
    if (name !== '_Server') return;
    const row = c.rows('Database').find((r) => r.name === db) as Partial<ServerDb> | undefined;
    if (row && row.model === 'clustered' && !(row.leader === true && row.connected === true)) void c.close();
  });
}

/**
 * The NB client for `remotes` (the joined node's `zos-fleet-nb`): the leader's, monitoring
 * NB_MONITORED; kept for the process while it stays connected and leading, found again after.
 */
export function nbClient(remotes: string): Promise<Client> {
  const kept = links.get(remotes);
  if (kept) {
    const live = kept.then((c) => (c.connected ? c : undefined));
    return live.then((c) => c ?? fresh(remotes));
  }
  return fresh(remotes);
}

function fresh(remotes: string): Promise<Client> {
  const p = (async () => {
    const c = await connectLeader('nb', remotes, NB_DB);
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
  p.catch(() => {
    if (links.get(remotes) === p) links.delete(remotes);
  });
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
