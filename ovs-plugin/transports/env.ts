// Process settings shared by both transports: where OVSDB is and which datapath new bridges use.
import { ValidationError } from '../../lib/errors.ts';
import type { Env, VlanLayout } from '../planners/plan.ts';

/** OVSDB address when OVS_DB is not set (the system ovsdb-server's socket). */
export const DEFAULT_DB = 'unix:/var/run/openvswitch/db.sock';

/** How long a daemon connection may stay quiet with nothing in flight (OVS_IDLE_TIMEOUT). */
export const DEFAULT_IDLE_TIMEOUT_MS = 120_000;

/**
 * OVS_DB, OVS_DATAPATH (default `system`; `netdev` where there is no OVS kernel module),
 * OVS_TIMEOUT: ms to wait for ovs-vswitchd to apply a change (default 10000, like
 * `ovs-vsctl --timeout`), OVS_IDLE_TIMEOUT: ms before the daemon closes a quiet connection, and
 * OVS_VLAN_LAYOUT: `fake` (default) or `patch`, how vlan-ensure makes a new VLAN.
 */
export function readEnv(env: NodeJS.ProcessEnv = process.env): { db: string; env: Env; applyTimeoutMs: number; idleTimeoutMs: number } {
  const datapathType = env.OVS_DATAPATH || 'system';
  if (!/^[a-z]{1,16}$/.test(datapathType)) throw new ValidationError('OVS_DATAPATH', `${JSON.stringify(datapathType)} is not a datapath type`);
  const applyTimeoutMs = env.OVS_TIMEOUT ? Number(env.OVS_TIMEOUT) : 10000;
  if (!Number.isInteger(applyTimeoutMs) || applyTimeoutMs < 1) throw new ValidationError('OVS_TIMEOUT', 'must be a positive number of milliseconds');
  const idleTimeoutMs = env.OVS_IDLE_TIMEOUT ? Number(env.OVS_IDLE_TIMEOUT) : DEFAULT_IDLE_TIMEOUT_MS;
  if (!Number.isInteger(idleTimeoutMs) || idleTimeoutMs < 1) throw new ValidationError('OVS_IDLE_TIMEOUT', 'must be a positive number of milliseconds');
  const vlanLayout = (env.OVS_VLAN_LAYOUT || 'fake') as VlanLayout;
  if (vlanLayout !== 'fake' && vlanLayout !== 'patch') throw new ValidationError('OVS_VLAN_LAYOUT', 'must be fake or patch');
  return { db: env.OVS_DB || DEFAULT_DB, env: { datapathType, vlanLayout }, applyTimeoutMs, idleTimeoutMs };
}
