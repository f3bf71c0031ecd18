// The `net.*` commands (ovs-plugin/overlay/nr-*.ts): one network resource (NR) of a tenant
// overlay network per netid. They run through the same transports as `nic.*` and never touch
// OVSDB (`local`: exec does not connect). The NR records live in `nets.json` beside the nic
// state file (OVS_PLUGIN_STATE). docs/overlay.md "Node side".
import { parseNetworkDocument, parseNetid, type NetworkDocument } from '../overlay/document.ts';
import { applyNr, withNrLock, type NrResult } from '../overlay/nr-apply.ts';
import { checkNr, listNrs, nrNamespace, type ListedNr, type NrCheckResult } from '../overlay/nr-check.ts';
import { deleteNr } from '../overlay/nr-delete.ts';
import { netsPath } from '../overlay/nr-state.ts';
import { argsObject } from '../validate.ts';
import { ValidationError } from '../../lib/errors.ts';
import { typeName } from '../../lib/validate.ts';
import type { Command } from './types.ts';

const NETID = { name: 'netid', required: true, type: 'string', doc: 'the network\'s id: 1..13 characters of A-Z a-z 0-9' } as const;

/** net.apply {netid, network} -> the NR (changed: false when the same document was applied again). */
export const netApply: Command<{ netid: string; network: NetworkDocument }, NrResult> = {
  usage: {
    summary: 'Create or update the network resource of a tenant network from its Zero-OS v3 network document; docs/overlay.md.',
    args: [NETID, { name: 'network', required: true, type: '{ip_range, subnet, wireguard_private_key, wireguard_listen_port, peers}', doc: 'the network workload document, as Zero-OS takes it' }],
    example: { netid: 'demo', network: { ip_range: '10.20.0.0/16', subnet: '10.20.1.0/24', wireguard_private_key: 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=', wireguard_listen_port: 51820, peers: [] } },
  },
  validate: (raw) => {
    const o = argsObject(raw, ['netid', 'network'], ['netid', 'network']);
    return { netid: parseNetid('netid', o.netid), network: parseNetworkDocument(o.network, 'network') };
  },
  local: (a, s) => applyNr(netsPath(s.statePath), a),
};

/** net.delete {netid} -> null (gone is success). */
export const netDelete: Command<{ netid: string }, null> = {
  usage: { summary: 'Remove a network resource whole (namespace, links, WireGuard, firewall, record); gone is success; EBUSY while network nics are attached.', args: [NETID], example: { netid: 'demo' } },
  validate: (raw) => ({ netid: parseNetid('netid', argsObject(raw, ['netid'], ['netid']).netid) }),
  local: (a, s) => deleteNr(netsPath(s.statePath), s.statePath, a.netid, (fn) => withNrLock(netsPath(s.statePath), a.netid, fn)),
};

/** net.namespace {netid} -> "n-<netid>". */
export const netNamespace: Command<{ netid: string }, string> = {
  usage: { summary: 'The name of a network resource\'s namespace (ENOTFOUND when there is no such NR).', args: [NETID], example: { netid: 'demo' } },
  validate: (raw) => ({ netid: parseNetid('netid', argsObject(raw, ['netid'], ['netid']).netid) }),
  local: (a, s) => nrNamespace(netsPath(s.statePath), a.netid),
};

/** net.list {} -> every NR. */
export const netList: Command<Record<string, never>, ListedNr[]> = {
  usage: { summary: 'Every network resource of this node with its phase, port, public key, subnet and MTU.', args: [], example: {} },
  validate: (raw) => { argsObject(raw, [], []); return {}; },
  local: (_a, s) => listNrs(netsPath(s.statePath)),
};

/** net.check {netid, repair?} -> {ok, drift, repaired}. */
export const netCheck: Command<{ netid: string; repair: boolean }, NrCheckResult> = {
  usage: {
    summary: 'Compare a network resource\'s record with the kernel, WireGuard and nft; with repair, converge them again (or finish a cut-short delete).',
    args: [NETID, { name: 'repair', type: 'boolean', doc: 'converge what drifted' }],
    example: { netid: 'demo', repair: true },
  },
  validate: (raw) => {
    const o = argsObject(raw, ['netid', 'repair'], ['netid']);
    if (o.repair !== undefined && typeof o.repair !== 'boolean') throw new ValidationError('repair', `must be a boolean, got ${typeName(o.repair)}`);
    return { netid: parseNetid('netid', o.netid), repair: o.repair === true };
  },
  local: (a, s) => checkNr(netsPath(s.statePath), a),
};
