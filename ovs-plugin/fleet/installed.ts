// Waiting for ovn-controller to install a logical port: it sets `external_ids:ovn-installed`
// on the Interface once the port's flows are in (ovn-controller(8) "ovn-installed"), which our
// Open_vSwitch monitor sees; bounded by OVS_PLUGIN_PORT_UP_MS, then EPORTDOWN.
import { Code, OvsdbError, portDown } from '../../lib/errors.ts';
import { Client } from '../ovsdb/client.ts';
import type { OvsdbClient } from '../ovsdb/types.ts';
import { View } from '../planners/view.ts';

/** True when Interface `iface` carries ovn-installed=true. */
export const isInstalled = (client: Pick<OvsdbClient, 'cache'>, iface: string): boolean =>
  new View(client.cache).byName('Interface', iface)?.external_ids.get('ovn-installed') === 'true';

/** Resolves once Interface `iface` (bound to logical port `lport`) is installed; EPORTDOWN after `ms`. */
export async function waitInstalled(client: OvsdbClient, iface: string, lport: string, ms: number): Promise<void> {
  if (isInstalled(client, iface)) return;
  if (!(client instanceof Client)) throw portDown(lport, 0, { why: 'no monitor to wait on' });
  try {
    await client.waitFor((c) => isInstalled(c, iface), ms, `ovn-installed on ${iface}`);
  } catch (err) {
    if (err instanceof OvsdbError && err.code === Code.EOVSDB_TIMEOUT) throw portDown(lport, ms, { iface });
    throw err;
  }
}
