// `default`: a veth to the NAT bridge nat0 (nat.ts), the address allocated from the pool in
// the state file and the gateway nat0's; one per target, as v1. The pool's address is the
// nic's: `config.cidr` is refused.
import { ValidationError } from '../../../lib/errors.ts';
import { nicExists } from '../errors.ts';
import { allocate, checkNatBridge, ensureNat, NAT_BRIDGE, natPool } from '../nat.ts';
import { vethKind } from '../veth.ts';
import { linuxBridgePlug } from './bridge.ts';

/** The default kind. */
export const defaultKind = vethKind({
  ...linuxBridgePlug,
  async prepare(_ctx, rec, all) {
    if (rec.nic.config?.cidr) throw new ValidationError('nic.config.cidr', 'a default nic takes its address from the NAT pool');
    if (all.some((r) => r.key !== rec.key && r.nic.type === 'default' && r.ns.ino === rec.ns.ino && r.ns.dev === rec.ns.dev)) {
      throw nicExists('nic.type', 'the target has a default nic already');
    }
    await checkNatBridge();
    const pool = natPool();
    rec.bridge = NAT_BRIDGE;
    rec.address = allocate(pool, all);
    rec.gateway = rec.nic.config?.gateway ?? pool.gateway;
  },
  async ensure() {
    await ensureNat(natPool());
  },
  async replug(ctx, rec) {
    await ensureNat(natPool());
    await linuxBridgePlug.replug!(ctx, rec);
  },
});
