// The names we derive for our own rows and devices, and the checks that keep a caller's names
// apart from them: a name a caller gives may never be of one of our forms (else one command's
// bridge becomes another's patch port), and a new row's name must be free in every named table
// before we plan an insert (a taken name can never succeed: EEXIST at once, not 8 retries).
import { ValidationError } from '../../lib/errors.ts';
import { parseLinkName } from '../../lib/validate.ts';
import { conflict, exists } from './errors.ts';
import type { View } from './view.ts';

/** Names v1 uses for VLAN `tag`: patch port on the master, its peer, the default bridge name. */
export const vlanNames = (tag: number) => ({ patch: `vlbr${tag}p`, peer: `vlbr${tag}in`, bridge: `vlbr${tag}` });
/** Default bridge name of VXLAN `vni`. */
export const vxlanBridgeName = (vni: number): string => `vxlbr${vni}`;

/** Port and device names of our forms (vtep<N>/vtmp<N>: vtep.ts): never a caller's name for anything. */
const DERIVED: [RegExp, string][] = [
  [/^vlbr\d+p$/, 'the patch port of a VLAN on its master'],
  [/^vlbr\d+in$/, 'the patch port of a VLAN on its VLAN bridge'],
  [/^vtep\d+$/, 'the kernel device of a VXLAN'],
  [/^vtmp\d+$/, 'the temporary name of a VXLAN device being made'],
];
/** The description of `name` when it is of one of our derived port/device forms. */
export function derivedForm(name: string): string | undefined {
  return DERIVED.find(([re]) => re.test(name))?.[1];
}

/**
 * A link name given by a caller for a new row or device: a valid name, not of a derived form.
 * (A default bridge name `vlbr<N>` used for another VLAN is allowed: it can only conflict, as
 * the bridge of one VLAN, never be wired as a port.)
 */
export function parseCallerName(field: string, v: unknown): string {
  const name = parseLinkName(field, v);
  const form = derivedForm(name);
  if (form) throw new ValidationError(field, `${name} is reserved: it is the form of ${form}`);
  return name;
}

/** An optional caller-given name (see parseCallerName). */
export const parseOptCallerName = (field: string, v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : parseCallerName(field, v);

/** A reference to an existing bridge or link: a valid name, not one of our port/device forms. */
export function parseRefName(field: string, v: unknown): string {
  const name = parseLinkName(field, v);
  const form = derivedForm(name);
  if (form) throw new ValidationError(field, `${name} is ${form}, not a bridge or link to use here`);
  return name;
}

/** An optional reference (see parseRefName). */
export const parseOptRefName = (field: string, v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : parseRefName(field, v);

/**
 * Throws unless every new row name is distinct and free in Bridge, Port and Interface: EEXIST
 * naming the taken one (and its field), ECONFLICT when one plan would use a name twice.
 */
export function assertNewNames(view: View, names: { name: string; field: string }[]): void {
  const seen = new Map<string, string>();
  for (const { name, field } of names) {
    const first = seen.get(name);
    if (first !== undefined) throw conflict(`${field} ${name} is also ${first}`, { field, name });
    seen.set(name, field);
    const held = view.holders(name);
    if (held.length)
      throw exists(`${field} ${name}: a ${held.join('/')} of that name exists`, { field, name, tables: held });
  }
}
