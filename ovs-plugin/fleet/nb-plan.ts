// Plans against the NB database, as the planners do against Open_vSwitch: a plan is built from
// the monitor cache (typed rows, nb-schema.ts), guarded by `wait` operations, sent as one
// transaction; a lost race (a failed wait, a name another writer just took) is re-planned from
// the fresh cache a bounded number of times, anything else is the command's answer.
import { contended, Code, OvsdbError, OvsdbTxnError } from '../../lib/errors.ts';
import type { Client } from '../ovsdb/client.ts';
import { uuid } from '../ovsdb/notation.ts';
import type { Rows as NbRows } from '../ovsdb/nb-schema.ts';
import { decodeNb, NB_DB } from '../ovsdb/ovn-rows.ts';
import type { Operation } from '../ovsdb/types.ts';
import { OWNER, OWNER_KEY } from '../planners/view.ts';
import { NB_MONITORED, nbClient } from './nb-link.ts';

type LsCols = (typeof NB_MONITORED.Logical_Switch)[number];
type LspCols = (typeof NB_MONITORED.Logical_Switch_Port)[number];
/** A logical switch as the monitor holds it. */
export type Ls = Pick<NbRows['Logical_Switch'], LsCols | '_uuid'>;
/** A logical switch port as the monitor holds it. */
export type Lsp = Pick<NbRows['Logical_Switch_Port'], LspCols | '_uuid'>;

// Decoded rows, by the cache's row object: the client replaces a row's object whenever the row
// changes (ovsdb/cache.ts), so a decoded row is right for as long as its object is the cache's.
// A switch of 1,000 ports is then decoded once, not at every read of an attach. Never mutated.
const decodedLs = new WeakMap<object, Ls>();
const decodedLsp = new WeakMap<object, Lsp>();

const lsOf = (r: object): Ls => {
  let d = decodedLs.get(r);
  if (!d) decodedLs.set(r, (d = decodeNb('Logical_Switch', r as never, NB_MONITORED.Logical_Switch)));
  return d;
};
const lspOf = (r: object): Lsp => {
  let d = decodedLsp.get(r);
  if (!d) decodedLsp.set(r, (d = decodeNb('Logical_Switch_Port', r as never, NB_MONITORED.Logical_Switch_Port)));
  return d;
};

/** Typed reads of the NB monitor cache. */
export class NbView {
  constructor(private readonly client: Pick<Client, 'cache'>) {}
  switches(): Ls[] {
    return [...(this.client.cache.get('Logical_Switch')?.values() ?? [])].map(lsOf);
  }
  /** The switches named `name` (the NB has no unique index on it: we guard with `wait`). */
  switchesNamed(name: string): Ls[] {
    return this.switches().filter((s) => s.name === name);
  }
  port(id: string): Lsp | undefined {
    const r = this.client.cache.get('Logical_Switch_Port')?.get(id);
    return r ? lspOf(r) : undefined;
  }
  ports(): Lsp[] {
    return [...(this.client.cache.get('Logical_Switch_Port')?.values() ?? [])].map(lspOf);
  }
  portNamed(name: string): Lsp | undefined {
    return this.ports().find((p) => p.name === name);
  }
  /** The switch holding port `id`. */
  switchOf(id: string): Ls | undefined {
    return this.switches().find((s) => s.ports.includes(id));
  }
  portsOf(ls: Ls): Lsp[] {
    return ls.ports.map((id) => this.port(id)).filter((p): p is Lsp => !!p);
  }
}

/** True when an NB row carries our owner tag. */
export const isOurs = (row: { external_ids: ReadonlyMap<string, string> }): boolean =>
  row.external_ids.get(OWNER_KEY) === OWNER;

/** An NB plan: its operations (none: nothing to change) and its answer. */
export interface NbPlan<R> {
  ops: Operation[];
  result: R;
}

/** Fails the transaction unless no logical switch is named `name`. */
export const waitNoSwitch = (name: string): Operation => ({
  op: 'wait',
  table: 'Logical_Switch',
  where: [['name', '==', name]],
  columns: ['name'],
  until: '==',
  rows: [],
  timeout: 0,
});

/** Fails the transaction unless switch `ls` still holds exactly the ports the plan saw. */
export const waitSwitchPorts = (ls: Ls): Operation => ({
  op: 'wait',
  table: 'Logical_Switch',
  where: [['_uuid', '==', uuid(ls._uuid)]],
  columns: ['name', 'ports'],
  until: '==',
  rows: [{ name: ls.name, ports: ['set', ls.ports.map(uuid)] }],
  timeout: 0,
});

const isRace = (err: unknown): boolean =>
  (err instanceof OvsdbTxnError &&
    (err.error === 'timed out' ||
      err.error === 'referential integrity violation' ||
      (err.error === 'constraint violation' && /identical values/.test(err.opDetails ?? '')))) ||
  (err instanceof OvsdbError && err.code === Code.EOVSDB_CONN);

/**
 * Plans from the cache of the NB leader's client for `remotes` and commits there, re-planning
 * after a lost race or a lost connection or leadership (the next attempt finds the leader
 * again); 8 attempts, then ECONTENDED.
 */
export async function commitNb<R>(remotes: string, plan: (v: NbView) => NbPlan<R>): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    const client = await nbClient(remotes);
    const p = plan(new NbView(client));
    if (!p.ops.some((o) => o.op !== 'wait')) return p.result;
    try {
      await client.transact(NB_DB, p.ops);
      return p.result;
    } catch (err) {
      if (!isRace(err)) throw err;
      if (attempt >= 8) throw contended(attempt, err);
      await new Promise((r) => setTimeout(r, Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random())));
    }
  }
}
