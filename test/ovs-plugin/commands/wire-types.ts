// Type-level test, checked by `npx tsc --noEmit` (never run): the wire types, the client's
// methods and the registry all come from the one argument declaration in commands/wire.ts.
// Each `@ts-expect-error` is a compile error tsc must see (an unused one fails tsc).
import type { Args, BridgeAddArgs, CommandName } from '../../../ovs-plugin/commands/wire.ts';
import type { COMMANDS } from '../../../ovs-plugin/commands/registry.ts';
import type { OvsPluginClient } from '../../../ovs-plugin/transports/client.ts';
import { argsOf, optional, required, usageOf, type Infer } from '../../../ovs-plugin/validate.ts';

// Required fields are required, optional ones optional (null allowed: "not given").
export const ok: BridgeAddArgs = { bridge: 'b', may_exist: null };
// @ts-expect-error: bridge is required
export const noBridge: BridgeAddArgs = { may_exist: true };
// @ts-expect-error: vlan is a number
export const badVlan: Args<'ovs.port-add'> = { bridge: 'b', port: 'p', vlan: '10' };

// The client's method takes the declared wire arguments.
export const call = (c: OvsPluginClient) => {
  void c.vlanEnsure({ master: 'backplane', vlan: 10 });
  // @ts-expect-error: vlan-ensure has no field vni
  void c.vlanEnsure({ master: 'backplane', vlan: 10, vni: 1 });
};

// The registry holds exactly the declared commands.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const sameNames: Same<keyof typeof COMMANDS, CommandName> = true;
// @ts-expect-error: a name the declaration lacks is not a command
export const extraName: Same<keyof typeof COMMANDS, CommandName | 'net.create'> = true;

// A declaration types its example, and a validator reads only declared fields.
const DECL = { a: required<number>('n', 'a number'), b: optional<string>('s', 'a string') };
export const inferred: Infer<typeof DECL> = { a: 1 };
// @ts-expect-error: the example must have the wire type
export const badExample = usageOf(DECL, 's', { a: 'x' });
export const readsDeclared = (raw: unknown) => {
  const o = argsOf(raw, DECL);
  // @ts-expect-error: c is not declared
  return [o.a, o.b, o.c];
};
