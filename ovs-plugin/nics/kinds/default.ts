// `default`: a veth to the NAT bridge nat0 (nat.ts), the address allocated from the pool in
// the state file and the gateway nat0's; one per target, as v1. The pool's address is the
// nic's: `config.cidr` is refused. A guest's default nic is a tap on nat0 (tap.ts) with an
// address recorded the same way, which the guest configures itself. Every attach, detach and
// repair rewrites the NAT's nft tables from the records (nat-sync.ts), so a nic's port only
// passes frames with its own MAC and pool address; check compares nat0, its address, IPv4
// forwarding and those tables with what they must be.
import { nicExists } from '../errors.ts';
import { allocate, checkNatBridge, ensureNat, NAT_BRIDGE, natBridgeDrift } from '../nat.ts';
import { natRulesDrift, syncNatRules } from '../nat-sync.ts';
import { targetKey } from '../target.ts';
import type { Draft, KindCtx, NicRecord, RecordOf } from '../types.ts';
import { vethKind, type VethPlug } from '../veth.ts';
import { linuxBridgePlug } from './bridge.ts';

/** The same target: one guest (by name), or one namespace (however it was named). */
const sameTarget = (a: NicRecord, b: Draft): boolean =>
  'kvm' in a.target || 'kvm' in b.target
    ? targetKey(a.target) === targetKey(b.target)
    : a.ns.ino === b.ns.ino && a.ns.dev === b.ns.dev;

/** The state file and pool of this command (the NAT rules are written from the records in that file). */
const natOf = (ctx: KindCtx): [string, KindCtx['ovs']['nics']['natPool']] => [
  ctx.ovs.nics.statePath,
  ctx.ovs.nics.natPool,
];

/** How a default nic's host end (veth or a guest's tap) is plugged into nat0, its address allocated. */
export const defaultPlug: VethPlug<RecordOf<'default'>> = {
  ...linuxBridgePlug,
  async prepare(ctx, rec) {
    await checkNatBridge();
    rec.bridge = NAT_BRIDGE;
    rec.gateway = rec.nic.config?.gateway ?? ctx.ovs.nics.natPool.gateway;
  },
  claim(rec, all, ctx) {
    if (all.some((r) => r.key !== rec.key && r.nic.type === 'default' && sameTarget(r, rec))) {
      throw nicExists('nic.type', 'the target has a default nic already');
    }
    rec.address = allocate(ctx.ovs.nics.natPool, all);
  },
  // Before the host end exists: nat0, then the rules with this nic's guard (its record is in
  // the state file already); undone by rules without it.
  async ensure(ctx, rec, undo) {
    const [path, pool] = natOf(ctx);
    await ensureNat(pool);
    await syncNatRules(path, pool);
    undo.push('nat rules without this nic', () => syncNatRules(path, pool, { without: rec.key }));
  },
  // The record is `detaching`: the rules are rewritten without its guard.
  async unplug(ctx) {
    await syncNatRules(...natOf(ctx));
  },
  async checkPlug(ctx, rec) {
    return [
      ...(await linuxBridgePlug.checkPlug(ctx, rec)),
      ...(await natBridgeDrift(ctx.ovs.nics.natPool)),
      ...(await natRulesDrift(...natOf(ctx))),
    ];
  },
  async replug(ctx, rec) {
    await ensureNat(ctx.ovs.nics.natPool);
    await syncNatRules(...natOf(ctx));
    await linuxBridgePlug.replug!(ctx, rec);
  },
};

/** The default kind. */
export const defaultKind = vethKind(defaultPlug);
