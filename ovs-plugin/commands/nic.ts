// The `nic.*` commands (ovs-plugin/nics/): attach, detach, list, check, gc. They run through
// the same transports and engine as `ovs.*`; their OVSDB changes are planners committed by it.
import { argsObject } from '../validate.ts';
import { attachNic } from '../nics/attach.ts';
import { checkNic, listNics, type CheckResult, type ListedNic } from '../nics/check.ts';
import { detachNic, gcNics, type GcReport } from '../nics/detach.ts';
import type { AttachResult, GuestResult, NicSpec, TargetSpec } from '../nics/types.ts';
import { attachArgs, listArgs, namedArgs } from '../nics/validate.ts';
import type { Command } from './types.ts';

/** nic.attach {target, nic} -> {name, host, hwaddr, mtu, bridge?, tag?, vni?, addresses}. */
export const nicAttach: Command<{ target: TargetSpec; nic: NicSpec }, AttachResult | GuestResult> = {
  validate: attachArgs,
  run: (a, ctx) => attachNic(ctx, a),
};

/** nic.detach {target, name} -> null (gone is success). */
export const nicDetach: Command<{ target: TargetSpec; name: string }, null> = {
  validate: (raw) => namedArgs(raw),
  run: (a, ctx) => detachNic(ctx, a),
};

/** nic.check {target, name, repair?} -> {ok, drift, repaired}. */
export const nicCheck: Command<{ target: TargetSpec; name: string; repair: boolean }, CheckResult> = {
  validate: (raw) => namedArgs(raw, ['repair']),
  run: (a, ctx) => checkNic(ctx, a),
};

/** nic.list {target?} -> one element per attachment. */
export const nicList: Command<{ target?: TargetSpec }, ListedNic[]> = {
  validate: listArgs,
  local: (a) => listNics(a),
};

/** nic.gc {} -> {finished, undone, removed, returned}. */
export const nicGc: Command<Record<string, never>, GcReport> = {
  validate: (raw) => { argsObject(raw, [], []); return {}; },
  run: (_a, ctx) => gcNics(ctx),
};
