// The `nic.*` commands (ovs-plugin/nics/): attach, detach, list, check, gc. They run through
// the same transports and engine as `ovs.*`; their OVSDB changes are planners committed by it.
import { argsOf, usageOf } from '../validate.ts';
import { ARGS } from './wire.ts';
import { attachNic } from '../nics/attach.ts';
import { checkNic, listNics, type CheckResult, type ListedNic } from '../nics/check.ts';
import { detachNic, gcNics, type GcReport } from '../nics/detach.ts';
import { restoreState, type RestoreResult } from '../nics/state-restore.ts';
import type { AttachResult, GuestResult, NicSpec, TargetSpec } from '../nics/types.ts';
import { attachNeedsOvsdb, gcNeedsOvsdb, namedNeedsOvsdb } from '../nics/ovs-need.ts';
import { attachArgs, listArgs, namedArgs } from '../nics/validate.ts';
import type { LocalCommand, RunCommand } from './types.ts';

/**
 * nic.attach {target, nic} -> {name, host, hwaddr, mtu, bridge?, tag?, vni?, addresses} (a guest: {tap, ..., libvirt,
 * qemu}).
 */
export const nicAttach: RunCommand<{ target: TargetSpec; nic: NicSpec }, AttachResult | GuestResult> = {
  mode: 'run',
  usage: usageOf(
    ARGS['nic.attach'],
    'Attach a nic (default, bridge, vlan, vxlan, macvlan, passthrough, network) ' +
      'to a container or a KVM guest; docs/nics.md.',
    { target: { netns: 'c1' }, nic: { type: 'vlan', id: 10, config: { cidr: '10.0.0.2/24' } } },
  ),
  validate: (raw) => attachArgs(argsOf(raw, ARGS['nic.attach'])),
  needsOvsdb: attachNeedsOvsdb,
  run: (a, ctx) => attachNic(ctx, a),
};

/** nic.detach {target, name} -> null (gone is success). */
export const nicDetach: RunCommand<{ target: TargetSpec; name: string }, null> = {
  mode: 'run',
  usage: usageOf(
    ARGS['nic.detach'],
    'Undo exactly what attach did (also after the container died); gone is success; returns null.',
    { target: { netns: 'c1' }, name: 'eth0' },
  ),
  validate: (raw) => namedArgs(argsOf(raw, ARGS['nic.detach'])),
  needsOvsdb: (a, nics) => namedNeedsOvsdb(a, nics.statePath),
  run: (a, ctx) => detachNic(ctx, a),
};

/** nic.check {target, name, repair?} -> {ok, drift, repaired}. */
export const nicCheck: RunCommand<{ target: TargetSpec; name: string; repair: boolean }, CheckResult> = {
  mode: 'run',
  usage: usageOf(
    ARGS['nic.check'],
    "Compare a nic's record with the kernel and OVSDB; with repair, recreate what drifted.",
    { target: { netns: 'c1' }, name: 'eth0', repair: true },
  ),
  validate: (raw) => namedArgs(argsOf(raw, ARGS['nic.check'])),
  needsOvsdb: (a, nics) => namedNeedsOvsdb(a, nics.statePath),
  run: (a, ctx) => checkNic(ctx, a),
};

/** nic.list {target?} -> one element per attachment. */
export const nicList: LocalCommand<{ target?: TargetSpec }, ListedNic[]> = {
  mode: 'local',
  usage: usageOf(ARGS['nic.list'], 'Every attachment (of one target) with its fields and its last check.', {}),
  validate: (raw) => listArgs(argsOf(raw, ARGS['nic.list'])),
  local: (a, nics) => listNics(a, nics.statePath, nics),
};

/** nic.gc {} -> {finished, undone, removed, returned}. */
export const nicGc: RunCommand<Record<string, never>, GcReport> = {
  mode: 'run',
  usage: usageOf(
    ARGS['nic.gc'],
    'Reconcile the record with the system: finish or undo cut-short work, clean up after dead targets.',
    {},
  ),
  validate: (raw) => {
    argsOf(raw, ARGS['nic.gc']);
    return {};
  },
  needsOvsdb: (_a, nics) => gcNeedsOvsdb(nics.statePath),
  run: (_a, ctx) => gcNics(ctx),
};

/** nic.state-restore {} -> {restored, nics, from?, damaged?}. */
export const nicStateRestore: LocalCommand<Record<string, never>, RestoreResult> = {
  mode: 'local',
  usage: usageOf(
    ARGS['nic.state-restore'],
    'Put back the previous good generation of a damaged nic state file (the damaged one kept aside); ' +
      'a good file is left alone. Run nic.gc after it.',
    {},
  ),
  validate: (raw) => {
    argsOf(raw, ARGS['nic.state-restore']);
    return {};
  },
  local: (_a, nics) => restoreState(nics.statePath),
};
