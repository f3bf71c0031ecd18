// The end-to-end overlay tests' common setup: a world (test/helpers/overlay-world.ts), a plan of
// its nodes made by the planner (public nodes with their IPv4 and IPv6 underlay addresses, hidden
// ones without), each node's document applied by that node's own plugin (net.apply: exec, or the
// daemon), containers with `network` nics, the laptop on the planner's wg-quick config. Written
// against /work/prompts/o/nr-spec.md (net.* and the `network` nic kind).
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { NetworkDocument } from '../../../ovs-plugin/overlay/document.ts';
import { parsePrefix4, v4Text, wireAddress } from '../../../ovs-plugin/overlay/ipv4.ts';
import { addAccess, addNode, createPlan, type Plan, type PlanAccess } from '../../../ovs-plugin/overlay/plan.ts';
import { accessConfig } from '../../../ovs-plugin/overlay/plan-access.ts';
import { documentsOf } from '../../../ovs-plugin/overlay/plan-documents.ts';
import { ulaAddress } from '../../../ovs-plugin/overlay/ula.ts';
import { nodePlugin, type NetApplied, type NodePlugin } from '../../helpers/overlay-plugin.ts';
import { makeWorld, runAt, type Container, type World, type WorldOptions } from '../../helpers/overlay-world.ts';

/** A container with a `network` nic: its addresses without prefix length. */
export interface Workload extends Container {
  readonly v4: string;
  /** Its ULA; '' when the NR is IPv4 only (MTU < 1280). */
  readonly v6: string;
  readonly mtu: number;
  readonly nic: string;
}

/** What the network nic kind answers (the container kinds' answer). */
export interface NicAnswer {
  name: string;
  host?: string;
  hwaddr: string;
  mtu: number;
  addresses: string[];
}

export interface MeshOptions extends WorldOptions {
  /** Plan name (netid derived from it); default random. */
  name?: string;
  ipRange?: string;
  /** Run each node's plugin as a daemon (default: exec). */
  daemon?: boolean;
  /** The laptop's entrypoint: a public node id, or a function of the plan (default: the first public). */
  entry?: string | ((plan: Plan) => string);
  /** Listen ports by node id (default: the planner's derived ports). */
  ports?: Record<string, number>;
}

/** A mesh: world, plan, plugins by node id, the laptop's access. */
export interface Mesh {
  readonly world: World;
  plan: Plan;
  readonly access?: PlanAccess;
  readonly plugins: ReadonlyMap<string, NodePlugin>;
  /** Applies `plan`'s documents (with `edit` on each) to `ids` (default: every node of the plan). */
  apply(
    plan: Plan,
    ids?: readonly string[],
    edit?: (id: string, d: NetworkDocument) => NetworkDocument,
  ): Promise<Record<string, NetApplied>>;
  /** A container on `node` with a network nic of this mesh's netid (`cidr`: config.cidr). */
  workload(node: string, cidr?: string): Promise<Workload>;
  /** The laptop's wire address (what the network reaches it by). */
  laptopWire(): string;
  /** The gateway (.1) of node `id`'s /24. */
  gateway(id: string): string;
}

/** The smallest MTU a link carries IPv6 on (RFC 8200; the kernel turns IPv6 off below it). */
const IPV6_MIN_MTU = 1280;

/** Splits `10.1.2.3/24` / `fd..::2/64` into the address. */
const bare = (cidr: string): string => cidr.split('/')[0]!;

/** Attaches a `network` nic of `netid` to `c` through `plugin`; checks the answer's shape. */
export async function attachNetwork(plugin: NodePlugin, c: Container, netid: string, cidr?: string): Promise<Workload> {
  const r = await plugin.call<NicAnswer>('nic.attach', {
    target: { pid: c.pid },
    nic: { type: 'network', id: netid, ...(cidr ? { config: { cidr } } : {}) },
  });
  // An NR under 1280 bytes is IPv4 only by design (docs/overlay.md, MTU): its nics get no ULA.
  const v6 = r.mtu >= IPV6_MIN_MTU;
  assert.equal(
    r.addresses.length,
    v6 ? 2 : 1,
    `${v6 ? 'two addresses (IPv4 first)' : 'IPv4 only (MTU < 1280)'}: ${JSON.stringify(r)}`,
  );
  assert.ok(
    !r.addresses[0]!.includes(':') && (!v6 || r.addresses[1]!.includes(':')),
    `IPv4 first: ${JSON.stringify(r.addresses)}`,
  );
  return { ...c, v4: bare(r.addresses[0]!), v6: v6 ? bare(r.addresses[1]!) : '', mtu: r.mtu, nic: r.name };
}

/** Builds the world and the mesh, applies every document; the laptop (if any) brought up. */
export async function makeMesh(t: Pick<TestContext, 'after'>, o: MeshOptions = {}): Promise<Mesh> {
  const world = await makeWorld(t, o);
  const ids = [...world.nodes.keys()].filter((id) => id !== 'laptop');
  let plan = createPlan({
    name: o.name ?? `e2e${Math.random().toString(36).slice(2, 8)}`,
    ipRange: o.ipRange ?? '10.77.0.0/16',
  });
  for (const id of ids) {
    const n = world.node(id);
    plan = addNode(plan, {
      id,
      ...(n.hidden ? {} : { endpoints: [n.v4, n.v6] }),
      ...(o.ports?.[id] ? { port: o.ports[id] } : {}),
    });
  }
  let access: PlanAccess | undefined;
  if (world.nodes.has('laptop')) {
    const entry =
      typeof o.entry === 'function' ? o.entry(plan) : (o.entry ?? plan.nodes.find((n) => n.endpoints.length > 0)!.id);
    const r = addAccess(plan, { node: entry, name: 'laptop', mtu: world.mtu - 80 });
    plan = r.plan;
    access = r.access;
  }
  const plugins = new Map<string, NodePlugin>();
  for (const id of ids) {
    const p = await nodePlugin(world.node(id), world.dir);
    if (o.daemon) await p.startDaemon();
    plugins.set(id, p);
  }
  const plugin = (id: string): NodePlugin => plugins.get(id) ?? assert.fail(`no plugin on ${id}`);
  const subnetOf = (p: Plan, id: string) => parsePrefix4(p.nodes.find((n) => n.id === id)!.subnet)!;

  const mesh: Mesh = {
    world,
    plan,
    plugins,
    ...(access ? { access } : {}),
    async apply(p, only = p.nodes.map((n) => n.id), edit = (_id, d) => d) {
      mesh.plan = p;
      const docs = documentsOf(p);
      const out: Record<string, NetApplied> = {};
      for (const id of only) {
        const d = docs[id]!;
        out[id] = await plugin(id).apply(d.netid, edit(id, d.network));
        assert.equal(out[id]!.namespace, `n-${d.netid}`);
      }
      return out;
    },
    workload: async (node, cidr) =>
      attachNetwork(plugin(node), await world.container(world.node(node)), mesh.plan.netid, cidr),
    laptopWire: () => wireAddress(parsePrefix4(access!.subnet)!),
    gateway: (id) => v4Text(subnetOf(mesh.plan, id).net + 1),
  };
  await mesh.apply(plan);
  if (access) await world.laptopUp(accessConfig(plan, access));
  return mesh;
}

/** The ULA twin of an IPv4 address of the mesh. */
export const ula = (mesh: Mesh, v4: string): string => ulaAddress(mesh.plan.netid, v4);

/** `wg show <dev> <what>` inside the NR namespace of `node` (its private /run holds both the netns and the socket). */
export async function wgShow(mesh: Mesh, node: string, what: 'endpoints' | 'peers' | 'allowed-ips'): Promise<string> {
  const dev = `w-${mesh.plan.netid}`;
  return (await runAt(mesh.world.node(node), 'ip', ['netns', 'exec', `n-${mesh.plan.netid}`, 'wg', 'show', dev, what]))
    .stdout;
}
