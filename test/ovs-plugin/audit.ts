// Reads the whole switch configuration (ovsdb-client dump, independent of our client) and
// classifies every VLAN as complete or half-built, and finds duplicate or orphan ports.
import type { Ovs } from '../helpers/ovs.ts';

type Json = any;
const uuidsIn = (v: Json): string[] =>
  Array.isArray(v) && v[0] === 'set' ? v[1].map((u: Json) => u[1]) : Array.isArray(v) && v[0] === 'uuid' ? [v[1]] : [];
const mapOf = (v: Json): Record<string, string> => Object.fromEntries(Array.isArray(v) && v[0] === 'map' ? v[1] : []);
const optNum = (v: Json): number => (typeof v === 'number' ? v : 0);

/** What the dump says about VLANs on `master`. */
export interface Audit {
  /** VLAN tags whose patch pair and bridge, or fake bridge, are all there and correct -> the VLAN bridge's name. */
  complete: Map<number, string>;
  /** Human-readable descriptions of anything half-built or wrong. */
  problems: string[];
  /** Bridge name -> port names. */
  bridges: Map<string, string[]>;
}

/**
 * Audits the switch: each vlbr<N>p / vlbr<N>in pair must be complete or absent; each fake bridge
 * (a port with fake_bridge and a tag) must be on `master` with one internal interface of its
 * name; one VLAN bridge per tag, whatever the layout.
 */
export async function auditVlans(ovs: Ovs, master: string): Promise<Audit> {
  const t = await ovs.dumpTables();
  const ifaces = new Map<string, Json>((t.Interface ?? []).map((r) => [uuidsIn(r._uuid)[0]!, r]));
  const ports = new Map<string, Json>((t.Port ?? []).map((r) => [uuidsIn(r._uuid)[0]!, r]));
  const problems: string[] = [];
  const bridges = new Map<string, string[]>();
  const portBridge = new Map<string, string>();
  const refs = new Map<string, number>();
  for (const b of t.Bridge ?? []) {
    const names = uuidsIn(b.ports).map((id) => {
      refs.set(id, (refs.get(id) ?? 0) + 1);
      return ports.get(id)?.name as string;
    });
    bridges.set(b.name as string, names.sort());
    for (const n of names) portBridge.set(n, b.name as string);
  }
  const portByName = new Map<string, Json>();
  for (const [id, p] of ports) {
    if (portByName.has(p.name)) problems.push(`duplicate port ${p.name}`);
    portByName.set(p.name, p);
    if ((refs.get(id) ?? 0) !== 1) problems.push(`port ${p.name} referenced by ${refs.get(id) ?? 0} bridges`);
  }
  const tags = new Set<number>();
  for (const n of [...portByName.keys(), ...bridges.keys()]) {
    const m = /^vlbr(\d+)(p|in)?$/.exec(n);
    if (m) tags.add(Number(m[1]));
  }
  const complete = new Map<number, string>();
  for (const tag of tags) {
    const patch = portByName.get(`vlbr${tag}p`);
    const peer = portByName.get(`vlbr${tag}in`);
    const vbr = peer ? portBridge.get(`vlbr${tag}in`) : undefined;
    if (!patch && !peer) {
      if (bridges.has(`vlbr${tag}`)) problems.push(`bridge vlbr${tag} without its patch pair`);
      continue;
    }
    const ifOf = (p: Json) => ifaces.get(uuidsIn(p.interfaces)[0]!);
    const ok =
      patch &&
      peer &&
      vbr &&
      portBridge.get(`vlbr${tag}p`) === master &&
      optNum(patch.tag) === tag &&
      ifOf(patch)?.type === 'patch' &&
      mapOf(ifOf(patch)?.options).peer === `vlbr${tag}in` &&
      ifOf(peer)?.type === 'patch' &&
      mapOf(ifOf(peer)?.options).peer === `vlbr${tag}p` &&
      bridges.get(vbr)!.includes(vbr);
    if (ok) complete.set(tag, vbr!);
    else
      problems.push(
        `vlan ${tag} half-built: patch=${!!patch} on ${portBridge.get(`vlbr${tag}p`)}, peer=${!!peer} on ${vbr}`,
      );
  }
  for (const p of portByName.values()) {
    if (p.fake_bridge !== true) continue;
    const tag = optNum(p.tag);
    const ifs = uuidsIn(p.interfaces).map((id) => ifaces.get(id));
    const ok =
      portBridge.get(p.name) === master &&
      typeof p.tag === 'number' &&
      ifs.length === 1 &&
      ifs[0]?.name === p.name &&
      ifs[0]?.type === 'internal';
    if (!ok) problems.push(`fake bridge ${p.name} (tag ${tag}) half-built or not on ${master}`);
    else if (complete.has(tag)) problems.push(`vlan ${tag} has two bridges: ${complete.get(tag)} and ${p.name}`);
    else complete.set(tag, p.name);
  }
  return { complete, problems, bridges };
}
