// The `fleet.*` commands (docs/fleet.md): OVN chassis enrolment on the Open_vSwitch row, and
// fleet networks as logical switches in the NB. Argument checks and answers only; the work is
// in ovs-plugin/fleet/. They run through the same transports as `ovs.*`, needing OVSDB.
import { hostname as osHostname } from 'node:os';
import { busy } from '../../lib/errors.ts';
import {
  parseEncap,
  parseEncapIp,
  parseHostname,
  parseMappings,
  parseNetworkName,
  parseNetworkVlan,
  parseRemotes,
  reachable,
  type Encap,
  type Mapping,
} from '../fleet/args.ts';
import { BR_INT, membershipOf, planJoin, planLeave, type JoinResult } from '../fleet/chassis.ts';
import { requireJoined } from '../fleet/joined.ts';
import { sbChassis } from '../fleet/nb-link.ts';
import { commitNb } from '../fleet/nb-plan.ts';
import { planNetworkDel, planNetworkEnsure, type NetworkResult } from '../fleet/networks.ts';
import { systemIdFor } from '../fleet/system-id.ts';
import { requireEncapLink } from '../fleet/underlay.ts';
import { readState } from '../nics/state.ts';
import { View } from '../planners/view.ts';
import { argsOf, usageOf } from '../validate.ts';
import type { RunCommand } from './types.ts';
import { ARGS } from './wire.ts';

interface JoinArgs {
  nb: string;
  sb: string;
  encap: Encap;
  encapIp: string;
  mappings?: Mapping[];
  hostname?: string;
}

/** fleet.join {nb, sb, encap_ip, encap?, bridge_mappings?, hostname?} -> the chassis. */
export const fleetJoin: RunCommand<JoinArgs, JoinResult> = {
  mode: 'run',
  usage: usageOf(
    ARGS['fleet.join'],
    "Make this node an OVN chassis: the Open_vSwitch row's ovn-* external_ids and br-int (ovn-controller is " +
      'started by the image, not by this command); a repeat changes nothing; docs/fleet.md.',
    { nb: 'tcp:10.0.0.1:6641', sb: 'tcp:10.0.0.1:6642', encap_ip: '10.0.0.5' },
  ),
  validate(raw) {
    const o = argsOf(raw, ARGS['fleet.join']);
    const nb = parseRemotes('nb', o.nb);
    reachable('nb', nb);
    parseRemotes('sb', o.sb);
    const mappings = parseMappings(o.bridge_mappings);
    const hostname = parseHostname(o.hostname);
    return {
      nb: o.nb as string,
      sb: o.sb as string,
      encap: parseEncap(o.encap),
      encapIp: parseEncapIp(o.encap_ip),
      ...(mappings ? { mappings } : {}),
      ...(hostname ? { hostname } : {}),
    };
  },
  async run(a, ctx) {
    await requireEncapLink(a.encapIp);
    const ids = new View(ctx.client.cache).root()?.external_ids;
    const systemId = await systemIdFor(ctx.nics.statePath, ids?.get('system-id'));
    const hostname = a.hostname ?? ids?.get('hostname') ?? osHostname();
    return ctx.commit(planJoin({ ...a, systemId, hostname }, ctx.env));
  },
};

/** fleet.leave {} -> null: our keys removed (system-id kept), br-int removed if ours; not joined is success. */
export const fleetLeave: RunCommand<Record<string, never>, null> = {
  mode: 'run',
  usage: usageOf(
    ARGS['fleet.leave'],
    'Undo fleet.join (the ovn-* external_ids, br-int if the plugin made it; system-id stays for a rejoin); ' +
      'EBUSY while fleet nics are attached.',
    {},
  ),
  validate(raw) {
    argsOf(raw, ARGS['fleet.leave']);
    return {};
  },
  async run(_a, ctx) {
    const held = (await readState(ctx.nics.statePath)).nics.filter((r) => r.nic.type === 'fleet');
    if (held.length)
      throw busy(`${held.length} fleet nic(s) are attached: detach them first`, { nics: held.map((r) => r.key) });
    await ctx.commit(planLeave());
    return null;
  },
};

/** The answer of fleet.status. */
export interface FleetStatus {
  joined: boolean;
  chassis?: string;
  hostname?: string;
  nb?: string;
  sb?: string;
  encap?: string;
  encap_ip?: string;
  bridge_mappings?: string;
  bridge?: string;
  /** Whether the SB holds this chassis (ovn-controller registered it). */
  sb_seen?: boolean;
  /** Why the SB could not be asked. */
  sb_error?: string;
}

/** fleet.status {} -> joined or not, the chassis, and whether the SB sees it. */
export const fleetStatus: RunCommand<Record<string, never>, FleetStatus> = {
  mode: 'run',
  usage: usageOf(
    ARGS['fleet.status'],
    'Whether this node is an OVN chassis, its name and settings, and whether the SB database holds it.',
    {},
  ),
  validate(raw) {
    argsOf(raw, ARGS['fleet.status']);
    return {};
  },
  async run(_a, ctx) {
    const view = new View(ctx.client.cache);
    const m = membershipOf(view);
    const out: FleetStatus = { joined: m.joined };
    if (m.chassis) out.chassis = m.chassis;
    if (!m.joined) return out;
    Object.assign(out, {
      hostname: m.hostname,
      nb: m.nb,
      sb: m.sb,
      encap: m.encap,
      encap_ip: m.encapIp,
      ...(m.mappings ? { bridge_mappings: m.mappings } : {}),
      ...(view.byName('Bridge', BR_INT) ? { bridge: BR_INT } : {}),
    });
    try {
      out.sb_seen = !!(await sbChassis(m.sb!, m.chassis!));
    } catch (err) {
      out.sb_seen = false;
      out.sb_error = err instanceof Error ? err.message : String(err);
    }
    return out;
  },
};

/** fleet.network-ensure {name, vlan?} -> the network (a logical switch of ours). */
export const fleetNetworkEnsure: RunCommand<{ name: string; vlan?: number }, NetworkResult> = {
  mode: 'run',
  usage: usageOf(
    ARGS['fleet.network-ensure'],
    'Ensure a fleet network: a logical switch in the NB (with vlan: a localnet port on physnet with that tag).',
    { name: 'blue' },
  ),
  validate(raw) {
    const o = argsOf(raw, ARGS['fleet.network-ensure']);
    const vlan = parseNetworkVlan(o.vlan);
    return { name: parseNetworkName('name', o.name), ...(vlan !== undefined ? { vlan } : {}) };
  },
  async run(a, ctx) {
    return commitNb(requireJoined(ctx.client).nb, planNetworkEnsure(a.name, a.vlan));
  },
};

/** fleet.network-del {name} -> null; gone is success; EBUSY while ports remain. */
export const fleetNetworkDel: RunCommand<{ name: string }, null> = {
  mode: 'run',
  usage: usageOf(
    ARGS['fleet.network-del'],
    'Delete a fleet network (its logical switch); gone is success; EBUSY while ports remain.',
    { name: 'blue' },
  ),
  validate(raw) {
    return { name: parseNetworkName('name', argsOf(raw, ARGS['fleet.network-del']).name) };
  },
  async run(a, ctx) {
    return commitNb(requireJoined(ctx.client).nb, planNetworkDel(a.name));
  },
};
