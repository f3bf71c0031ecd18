// The command table: `ovs.<name>` -> {validate, plan | run | local}, and the one dispatch both
// transports run commands through. Transports look commands up here, accepting both
// `bridge-add` (v1 exec style) and `ovs.bridge-add`; `nic.*`, `net.*`, `fleet.*` by their full names.
import { unknownCommand } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import { assertNever } from '../../lib/assert-never.ts';
import { bridgeAdd, bridgeDel } from './bridge.ts';
import { fleetJoin, fleetLeave, fleetNetworkDel, fleetNetworkEnsure, fleetStatus } from './fleet.ts';
import { netApply, netCheck, netDelete, netList, netNamespace } from './net.ts';
import { nicAttach, nicCheck, nicDetach, nicGc, nicList, nicStateRestore } from './nic.ts';
import type { Engine } from './engine.ts';
import { bondAdd, portAdd, portDel } from './port.ts';
import { set } from './set.ts';
import type { Command } from './types.ts';
import type { Ctx } from '../planners/plan.ts';
import type { CommandName, Results } from './wire.ts';
import { vlanDel, vlanEnsure } from './vlan.ts';
import { vtepDel, vtepEnsure, vxlanDel, vxlanEnsure } from './vxlan.ts';
import type { NicSettings } from '../nics/types.ts';

/** Every command by its full name (exactly those declared in wire.ts), each answering its wire result type. */
export const COMMANDS: { readonly [N in CommandName]: Command<unknown, Results[N]> } = {
  'ovs.bridge-add': bridgeAdd,
  'ovs.bridge-del': bridgeDel,
  'ovs.port-add': portAdd,
  'ovs.port-del': portDel,
  'ovs.bond-add': bondAdd,
  'ovs.set': set,
  'ovs.vlan-ensure': vlanEnsure,
  'ovs.vlan-del': vlanDel,
  'ovs.vxlan-ensure': vxlanEnsure,
  'ovs.vxlan-del': vxlanDel,
  'ovs.vtep-ensure': vtepEnsure,
  'ovs.vtep-del': vtepDel,
  'nic.attach': nicAttach,
  'nic.detach': nicDetach,
  'nic.list': nicList,
  'nic.check': nicCheck,
  'nic.gc': nicGc,
  'nic.state-restore': nicStateRestore,
  'net.apply': netApply,
  'net.delete': netDelete,
  'net.namespace': netNamespace,
  'net.list': netList,
  'net.check': netCheck,
  'fleet.join': fleetJoin,
  'fleet.leave': fleetLeave,
  'fleet.status': fleetStatus,
  'fleet.network-ensure': fleetNetworkEnsure,
  'fleet.network-del': fleetNetworkDel,
};

/** The command called `name` (`x` or `ovs.x`); AppError EUNKNOWN "unknown command: X" otherwise. */
export function lookup(name: string): { name: string; command: Command } {
  const full = /^(ovs|nic|net|fleet)\./.test(name) ? name : `ovs.${name}`;
  const command: Command | undefined = Object.hasOwn(COMMANDS, full) ? COMMANDS[full as CommandName] : undefined;
  if (!command) throw unknownCommand(name);
  return { name: full, command };
}

/** The context of commands run through `engine` (logging to `log`). */
export const engineCtx = (engine: Engine, nics: NicSettings, log?: Logger): Ctx => ({
  client: engine.client,
  env: engine.env,
  nics,
  commit: (p) => engine.commit(p),
  ...(log ? { log } : {}),
});

/**
 * Runs validated `args` of `command`, the one dispatch of both transports: a plan is committed
 * through the context, a run command gets it, a local one needs none. `ctx` is asked for only
 * by plan and run commands (exec connects to OVSDB there, and only then).
 */
export async function dispatch<A, R>(
  command: Command<A, R>,
  args: A,
  ctx: () => Ctx | Promise<Ctx>,
  nics: NicSettings,
): Promise<R> {
  switch (command.mode) {
    case 'plan': {
      const c = await ctx();
      return c.commit(command.plan(args, c.env));
    }
    case 'run':
      return command.run(args, await ctx());
    case 'local':
      return command.local(args, nics);
    default:
      return assertNever(command, 'command mode');
  }
}
