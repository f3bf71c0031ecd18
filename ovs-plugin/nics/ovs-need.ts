// Which nic commands need OVSDB: only those touching an OVS kind (vlan, vxlan, fleet), for a container
// (zerotier: a process in the target, no switch at all)
// or a guest. Exec connects to OVSDB only for them, so bridge, macvlan, passthrough, default and
// network (a tenant NR's Linux bridge: no OVSDB anywhere in the overlay)
// nics attach, check, detach and gc with Open vSwitch down; the context they get instead fails
// loudly if anything still reaches for OVSDB.
import { InternalError } from '../../lib/errors.ts';
import type { OvsdbNeed } from '../commands/types.ts';
import type { Ctx, Env } from '../planners/plan.ts';
import { readState } from './state.ts';
import { targetKey } from './target.ts';
import type { Kind, NicRecord, NicSettings, NicSpec, TargetSpec } from './types.ts';

/**
 * Whether nic.attach of each kind talks to OVSDB: vlan, vxlan and fleet (their host end is an OVS port)
 * do; macvlan and passthrough read it if Open vSwitch runs (is the parent an OVS port?); the
 * others (network included) never. `true` also means detach, check and gc of its records need it.
 */
export const KIND_NEEDS_OVSDB = {
  default: false,
  bridge: false,
  vlan: true,
  vxlan: true,
  macvlan: 'if-running',
  passthrough: 'if-running',
  network: false,
  zerotier: false,
  fleet: true,
} as const satisfies Record<Kind, OvsdbNeed>;

/** True for a record of a kind whose host end is an OVS port. */
const usesOvs = (r: Pick<NicRecord, 'nic'>): boolean => KIND_NEEDS_OVSDB[r.nic.type] === true;

/** Whether nic.attach of `nic` talks to OVSDB (KIND_NEEDS_OVSDB). */
export const attachNeedsOvsdb = (a: { nic: NicSpec }): OvsdbNeed => KIND_NEEDS_OVSDB[a.nic.type];

/** True when detach or check of `target`/`name` talks to OVSDB (what the record says it is; none: no). */
export async function namedNeedsOvsdb(a: { target: TargetSpec; name: string }, path: string): Promise<boolean> {
  return (await readState(path)).nics.some(
    (r) => targetKey(r.target) === targetKey(a.target) && r.name === a.name && usesOvs(r),
  );
}

/** gc talks to OVSDB when some record is of an OVS kind, and else if Open vSwitch runs (orphan ports of ours). */
export async function gcNeedsOvsdb(path: string): Promise<OvsdbNeed> {
  return (await readState(path)).nics.some(usesOvs) ? true : 'if-running';
}

const offline = new WeakSet<Ctx>();

/** A context for commands run without OVSDB: any use of it is a bug, said so (hasOvsdb tells). */
export function withoutOvsdb(env: Env, nics: NicSettings): Ctx {
  const refuse = (): never => {
    throw new InternalError('a nic command that needs no OVSDB reached for it');
  };
  const ctx: Ctx = {
    env,
    nics,
    get client(): never {
      return refuse();
    },
    commit: async () => refuse(),
  };
  offline.add(ctx);
  return ctx;
}

/** False for a context made by withoutOvsdb (Open vSwitch was not running). */
export const hasOvsdb = (ctx: Ctx): boolean => !offline.has(ctx);
