// The `nic.*` commands (ovs-plugin/nics/): attach, detach, list, check, gc. They run through
// the same transports and engine as `ovs.*`; their OVSDB changes are planners committed by it.
import { argsObject } from '../validate.ts';
import { attachNic } from '../nics/attach.ts';
import { checkNic, listNics, type CheckResult, type ListedNic } from '../nics/check.ts';
import { detachNic, gcNics, type GcReport } from '../nics/detach.ts';
import { restoreState, type RestoreResult } from '../nics/state-restore.ts';
import type { AttachResult, GuestResult, NicSpec, TargetSpec } from '../nics/types.ts';
import { attachNeedsOvsdb, gcNeedsOvsdb, namedNeedsOvsdb } from '../nics/ovs-need.ts';
import { attachArgs, listArgs, namedArgs } from '../nics/validate.ts';
import type { Command } from './types.ts';

const TARGET = { name: 'target', required: true, type: '{netns} | {pid} | {kvm, pid?}', doc: 'a named netns, a process\'s netns, or a KVM guest' } as const;

/** nic.attach {target, nic} -> {name, host, hwaddr, mtu, bridge?, tag?, vni?, addresses} (a guest: {tap, ..., libvirt, qemu}). */
export const nicAttach: Command<{ target: TargetSpec; nic: NicSpec }, AttachResult | GuestResult> = {
  usage: {
    summary: 'Attach a nic (default, bridge, vlan, vxlan, macvlan, passthrough, network) to a container or a KVM guest; docs/nics.md.',
    args: [TARGET, { name: 'nic', required: true, type: '{type, id, hwaddr?, name?, mtu?, config?, root?}', doc: 'the nic, as v1' }],
    example: { target: { netns: 'c1' }, nic: { type: 'vlan', id: 10, config: { cidr: '10.0.0.2/24' } } },
  },
  validate: attachArgs,
  needsOvsdb: attachNeedsOvsdb,
  run: (a, ctx) => attachNic(ctx, a),
};

/** nic.detach {target, name} -> null (gone is success). */
export const nicDetach: Command<{ target: TargetSpec; name: string }, null> = {
  usage: {
    summary: 'Undo exactly what attach did (also after the container died); gone is success; returns null.',
    args: [TARGET, { name: 'name', required: true, type: 'name', doc: 'the nic\'s name in the target (a guest: its tap)' }],
    example: { target: { netns: 'c1' }, name: 'eth0' },
  },
  validate: (raw) => namedArgs(raw),
  needsOvsdb: (a, nics) => namedNeedsOvsdb(a, nics.statePath),
  run: (a, ctx) => detachNic(ctx, a),
};

/** nic.check {target, name, repair?} -> {ok, drift, repaired}. */
export const nicCheck: Command<{ target: TargetSpec; name: string; repair: boolean }, CheckResult> = {
  usage: {
    summary: 'Compare a nic\'s record with the kernel and OVSDB; with repair, recreate what drifted.',
    args: [TARGET, { name: 'name', required: true, type: 'name', doc: 'the nic' }, { name: 'repair', type: 'boolean', doc: 'recreate what drifted' }],
    example: { target: { netns: 'c1' }, name: 'eth0', repair: true },
  },
  validate: (raw) => namedArgs(raw, ['repair']),
  needsOvsdb: (a, nics) => namedNeedsOvsdb(a, nics.statePath),
  run: (a, ctx) => checkNic(ctx, a),
};

/** nic.list {target?} -> one element per attachment. */
export const nicList: Command<{ target?: TargetSpec }, ListedNic[]> = {
  usage: {
    summary: 'Every attachment (of one target) with its fields and its last check.',
    args: [{ ...TARGET, required: false }],
    example: {},
  },
  validate: listArgs,
  local: (a, nics) => listNics(a, nics.statePath),
};

/** nic.gc {} -> {finished, undone, removed, returned}. */
export const nicGc: Command<Record<string, never>, GcReport> = {
  usage: {
    summary: 'Reconcile the record with the system: finish or undo cut-short work, clean up after dead targets.',
    args: [],
    example: {},
  },
  validate: (raw) => { argsObject(raw, [], []); return {}; },
  needsOvsdb: (_a, nics) => gcNeedsOvsdb(nics.statePath),
  run: (_a, ctx) => gcNics(ctx),
};

/** nic.state-restore {} -> {restored, nics, from?, damaged?}. */
export const nicStateRestore: Command<Record<string, never>, RestoreResult> = {
  usage: {
    summary: 'Put back the previous good generation of a damaged nic state file (the damaged one kept aside); a good file is left alone. Run nic.gc after it.',
    args: [],
    example: {},
  },
  validate: (raw) => { argsObject(raw, [], []); return {}; },
  local: (_a, nics) => restoreState(nics.statePath),
};
