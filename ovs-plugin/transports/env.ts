// Process settings shared by both transports: where OVSDB is and which datapath new bridges use.
import { ValidationError } from '../../lib/errors.ts';
import type { Env } from '../commands/types.ts';

/** OVSDB address when OVS_DB is not set (the system ovsdb-server's socket). */
export const DEFAULT_DB = 'unix:/var/run/openvswitch/db.sock';

/** OVS_DB and OVS_DATAPATH (default `system`; `netdev` where there is no OVS kernel module). */
export function readEnv(env: NodeJS.ProcessEnv = process.env): { db: string; env: Env } {
  const datapathType = env.OVS_DATAPATH || 'system';
  if (!/^[a-z]{1,16}$/.test(datapathType)) throw new ValidationError('OVS_DATAPATH', `${JSON.stringify(datapathType)} is not a datapath type`);
  return { db: env.OVS_DB || DEFAULT_DB, env: { datapathType } };
}
