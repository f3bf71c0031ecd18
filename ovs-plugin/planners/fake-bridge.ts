// OVS "fake bridges" (ovs-vsctl(8) "VLAN bridges"): a VLAN bridge that is not a Bridge row but
// a Port on its parent with `fake_bridge=true` and `tag`, holding one internal Interface of its
// name (the link callers put addresses on). Ports "on" it are ports of the parent carrying its
// tag, as `ovs-vsctl add-port FAKE X` makes them. ovs-vswitchd reconfigures every bridge on
// every transaction, so one parent with tagged ports costs far less per change than a bridge
// per VLAN (docs/ovs-plugin.md, "VLAN layout").
import type { Operation } from '../ovsdb/types.ts';
import { addRefs, insertPort, waitHasPort, waitNamed, waitUnchanged } from './ops.ts';
import type { Seen, View } from './view.ts';

/** A fake bridge: its port row, the bridge it sits on and its tag. */
export interface Fake {
  port: Seen<'Port'>;
  parent: Seen<'Bridge'>;
  tag: number;
}

/**
 * A bridge name as ports see it: the bridge row ports go on, the tag they carry, and the fake bridge behind it, if any.
 */
export interface Place {
  bridge: Seen<'Bridge'>;
  tag: number;
  fake?: Fake;
}

/** The fake bridge held by port row `port`, if it is one (fake_bridge set, a tag, on a bridge). */
function asFake(view: View, port: Seen<'Port'> | undefined): Fake | undefined {
  if (!port?.fake_bridge || port.tag === undefined) return undefined;
  const parent = view.bridgeOfPort(port._uuid);
  return parent ? { port, parent, tag: port.tag } : undefined;
}

/** The fake bridge called `name`, if there is one. */
export const fakeNamed = (view: View, name: string): Fake | undefined => asFake(view, view.byName('Port', name));

/** Every fake bridge of VLAN `tag`, on any parent. */
export const fakesOfTag = (view: View, tag: number): Fake[] =>
  view
    .fakePorts(tag)
    .map((p) => asFake(view, p))
    .filter((f): f is Fake => !!f);

/** Where a port added "to bridge `name`" goes: a real bridge untagged, a fake bridge's parent with its tag. */
export function placeOf(view: View, name: string): Place | undefined {
  const br = view.byName('Bridge', name);
  if (br) return { bridge: br, tag: 0 };
  const fake = fakeNamed(view, name);
  return fake ? { bridge: fake.parent, tag: fake.tag, fake } : undefined;
}

/**
 * The ports of `fake`'s parent that carry its tag (what ovs-vsctl lists as its ports), the fake's own port excepted.
 */
export const portsOfFake = (view: View, fake: Fake): Seen<'Port'>[] =>
  view.portsOf(fake.parent).filter((p) => p._uuid !== fake.port._uuid && p.tag === fake.tag);

/** Guards that `fake` is still there, unchanged, on its parent. */
export const waitFake = (fake: Fake): Operation[] => [
  waitHasPort(fake.parent._uuid, fake.parent.name, fake.port._uuid),
  waitUnchanged('Port', fake.port, ['name', 'tag', 'fake_bridge']),
];

/** Guards that bridge name `name` still resolves to `place` (a real bridge of that name, or that fake bridge). */
export const waitPlace = (place: Place, name: string): Operation[] =>
  place.fake ? waitFake(place.fake) : [waitNamed('Bridge', place.bridge._uuid, name)];

/** What a plan relying on `place` reads: the bridge row, and the fake bridge's port (vlan-del claims it). */
export const placeReads = (place: Place, name: string): string[] => [
  `Bridge:${place.bridge.name}`,
  ...(place.fake ? [`Port:${name}`, `Bridge:${name}`] : []),
];

/** Guards that the ports carrying `tag` are exactly `names` (no port joined the VLAN since the plan was made). */
export const waitTagPorts = (tag: number, names: string[]): Operation => ({
  op: 'wait',
  table: 'Port',
  where: [['tag', '==', tag]],
  columns: ['name'],
  until: '==',
  rows: names.map((name) => ({ name })),
  timeout: 0,
});

/** Inserts fake bridge `name` of VLAN `tag` on bridge `parentId` (as `ovs-vsctl add-br NAME PARENT TAG` does). */
export function insertFake(prefix: string, name: string, parentId: string, tag: number): Operation[] {
  const ins = insertPort(prefix, {
    name,
    interfaces: [{ name, row: { type: 'internal' } }],
    row: { tag, fake_bridge: true },
  });
  return [...ins.ops, addRefs('Bridge', parentId, 'ports', [ins.ref])];
}
