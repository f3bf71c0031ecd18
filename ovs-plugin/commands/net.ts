// The `net.*` commands (ovs-plugin/overlay/nr-*.ts): one network resource (NR) of a tenant
// overlay network per netid. They run through the same transports as `nic.*` and never touch
// OVSDB (`local`: exec does not connect). The NR records live in `nets.json` beside the nic
// state file (OVS_PLUGIN_STATE). docs/overlay.md "Node side".
import { parseNetworkDocument, parseNetid, type NetworkDocument } from '../overlay/document.ts';
import { applyNr, withNrLock, type NrResult } from '../overlay/nr-apply.ts';
import { checkNr, listNrs, nrNamespace, type ListedNr, type NrCheckResult } from '../overlay/nr-check.ts';
import { deleteNr } from '../overlay/nr-delete.ts';
import { netsPath } from '../overlay/nr-state.ts';
import { argsOf, usageOf } from '../validate.ts';
import type { LocalCommand } from './types.ts';
import { ARGS } from './wire.ts';

/** net.apply {netid, network} -> the NR (changed: false when the same document was applied again). */
export const netApply: LocalCommand<{ netid: string; network: NetworkDocument }, NrResult> = {
  mode: 'local',
  usage: usageOf(
    ARGS['net.apply'],
    'Create or update the network resource of a tenant network from its Zero-OS v3 network document; docs/overlay.md.',
    {
      netid: 'demo',
      network: {
        ip_range: '10.20.0.0/16',
        subnet: '10.20.1.0/24',
        wireguard_private_key: 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=',
        wireguard_listen_port: 51820,
        peers: [],
      },
    },
  ),
  validate: (raw) => {
    const o = argsOf(raw, ARGS['net.apply']);
    return { netid: parseNetid('netid', o.netid), network: parseNetworkDocument(o.network, 'network') };
  },
  local: (a, s) => applyNr(netsPath(s.statePath), a),
};

/** net.delete {netid} -> null (gone is success). */
export const netDelete: LocalCommand<{ netid: string }, null> = {
  mode: 'local',
  usage: usageOf(
    ARGS['net.delete'],
    'Remove a network resource whole (namespace, links, WireGuard, firewall, record); gone is success; ' +
      'EBUSY while network nics are attached.',
    { netid: 'demo' },
  ),
  validate: (raw) => ({ netid: parseNetid('netid', argsOf(raw, ARGS['net.delete']).netid) }),
  local: (a, s) =>
    deleteNr(netsPath(s.statePath), s.statePath, a.netid, (fn) => withNrLock(netsPath(s.statePath), a.netid, fn)),
};

/** net.namespace {netid} -> "n-<netid>". */
export const netNamespace: LocalCommand<{ netid: string }, string> = {
  mode: 'local',
  usage: usageOf(
    ARGS['net.namespace'],
    "The name of a network resource's namespace (ENOTFOUND when there is no such NR).",
    { netid: 'demo' },
  ),
  validate: (raw) => ({ netid: parseNetid('netid', argsOf(raw, ARGS['net.namespace']).netid) }),
  local: (a, s) => nrNamespace(netsPath(s.statePath), a.netid),
};

/** net.list {} -> every NR. */
export const netList: LocalCommand<Record<string, never>, ListedNr[]> = {
  mode: 'local',
  usage: usageOf(
    ARGS['net.list'],
    'Every network resource of this node with its phase, port, public key, subnet and MTU.',
    {},
  ),
  validate: (raw) => {
    argsOf(raw, ARGS['net.list']);
    return {};
  },
  local: (_a, s) => listNrs(netsPath(s.statePath)),
};

/** net.check {netid, repair?} -> {ok, drift, repaired}. */
export const netCheck: LocalCommand<{ netid: string; repair: boolean }, NrCheckResult> = {
  mode: 'local',
  usage: usageOf(
    ARGS['net.check'],
    "Compare a network resource's record with the kernel, WireGuard and nft; " +
      'with repair, converge them again (or finish a cut-short delete).',
    { netid: 'demo', repair: true },
  ),
  validate: (raw) => {
    const o = argsOf(raw, ARGS['net.check']);
    return { netid: parseNetid('netid', o.netid), repair: o.repair === true };
  },
  local: (a, s) => checkNr(netsPath(s.statePath), a),
};
