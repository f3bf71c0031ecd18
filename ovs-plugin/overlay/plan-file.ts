// The plan file: read and validated whole (EPLAN naming the field, e.g. `plan.nodes[1].port`),
// written atomically (a temporary file renamed over it: a reader or a crash sees the old plan or
// the new one) with mode 0600, since it holds every private key of the network.
import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { badPlan, isMissingPath, ValidationError } from '../../lib/errors.ts';
import { writeFileAtomic } from '../../lib/atomic-file.ts';
import { parseIntInRange, typeName } from '../../lib/validate.ts';
import { parseIpRange, parseKey, parseNetid, parseSubnet } from './document.ts';
import { overlap4, type Prefix4 } from './ipv4.ts';
import { planName, PLAN_VERSION, publicAddress, type Plan, type PlanAccess, type PlanNode } from './plan.ts';

/** Runs a validator, turning its EINVALID into EPLAN (the file is wrong, not a flag). */
function inPlan<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ValidationError) throw badPlan(err.field, err.message.slice(err.field.length + 2), err);
    throw err;
  }
}

function members(
  field: string,
  v: unknown,
  known: readonly string[],
  optional: readonly string[] = [],
): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw badPlan(field, `must be an object, got ${typeName(v)}`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!known.includes(k)) throw badPlan(`${field}.${k}`, 'unknown member');
  for (const k of known) if (o[k] === undefined && !optional.includes(k)) throw badPlan(`${field}.${k}`, 'is required');
  return o;
}

function array(field: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw badPlan(field, `must be an array, got ${typeName(v)}`);
  return v;
}

/** Validates a parsed plan file whole; every reference (relay, entrypoint) and every /24 checked. */
export function parsePlan(raw: unknown): Plan {
  const o = members('plan', raw, ['version', 'name', 'netid', 'ip_range', 'nodes', 'accesses', 'retired']);
  if (o.version !== PLAN_VERSION)
    throw badPlan(
      'plan.version',
      `${JSON.stringify(o.version)} is not ${PLAN_VERSION}, the version this planner reads`,
    );
  const name = inPlan(() => planName('plan.name', o.name));
  const netid = inPlan(() => parseNetid('plan.netid', o.netid));
  const range = inPlan(() => parseIpRange('plan.ip_range', o.ip_range));
  const ipRange = o.ip_range as string;
  const used: { subnet: Prefix4; field: string }[] = [];
  const subnet = (field: string, v: unknown): string => {
    const p = inPlan(() => parseSubnet(field, v, range, ipRange));
    const other = used.find((u) => overlap4(u.subnet, p));
    if (other) throw badPlan(field, `${v as string} is ${other.field} too`);
    used.push({ subnet: p, field });
    return v as string;
  };
  const nodes = array('plan.nodes', o.nodes).map((rn, i): PlanNode => {
    const f = `plan.nodes[${i}]`;
    const n = members(f, rn, ['id', 'endpoints', 'subnet', 'private_key', 'port', 'relay'], ['relay']);
    const endpoints = array(`${f}.endpoints`, n.endpoints).map((e, j) =>
      inPlan(() => publicAddress(`${f}.endpoints[${j}]`, e, ipRange)),
    );
    if (endpoints.filter(isIPv4).length > 1 || endpoints.filter(isIPv6).length > 1)
      throw badPlan(`${f}.endpoints`, 'at most one IPv4 and one IPv6 address');
    return {
      id: inPlan(() => planName(`${f}.id`, n.id)),
      endpoints,
      subnet: subnet(`${f}.subnet`, n.subnet),
      private_key: inPlan(() => parseKey(`${f}.private_key`, n.private_key)),
      port: inPlan(() => parseIntInRange(`${f}.port`, n.port, 1, 65535)),
      ...(n.relay !== undefined ? { relay: inPlan(() => planName(`${f}.relay`, n.relay)) } : {}),
    };
  });
  const byId = new Map<string, PlanNode>();
  nodes.forEach((n, i) => {
    if (byId.has(n.id)) throw badPlan(`plan.nodes[${i}].id`, `node ${n.id} is listed twice`);
    byId.set(n.id, n);
  });
  nodes.forEach((n, i) => {
    if (n.relay === undefined) return;
    if (n.endpoints.length) throw badPlan(`plan.nodes[${i}].relay`, 'a public node has no relay');
    if (!byId.get(n.relay)?.endpoints.length)
      throw badPlan(`plan.nodes[${i}].relay`, `${n.relay} is not a public node of the plan`);
  });
  const accesses = array('plan.accesses', o.accesses).map((ra, i): PlanAccess => {
    const f = `plan.accesses[${i}]`;
    const a = members(f, ra, ['name', 'node', 'subnet', 'private_key', 'ipv4', 'mtu']);
    const node = inPlan(() => planName(`${f}.node`, a.node));
    const entry = byId.get(node);
    if (!entry?.endpoints.length) throw badPlan(`${f}.node`, `${node} is not a public node of the plan`);
    if (typeof a.ipv4 !== 'boolean') throw badPlan(`${f}.ipv4`, `must be true or false, got ${typeName(a.ipv4)}`);
    if (a.ipv4 && !entry.endpoints.some(isIPv4)) throw badPlan(`${f}.ipv4`, `node ${node} has no IPv4 endpoint`);
    return {
      name: inPlan(() => planName(`${f}.name`, a.name)),
      node,
      subnet: subnet(`${f}.subnet`, a.subnet),
      private_key: inPlan(() => parseKey(`${f}.private_key`, a.private_key)),
      ipv4: a.ipv4,
      mtu: inPlan(() => parseIntInRange(`${f}.mtu`, a.mtu, 1280, 9000)),
    };
  });
  const names = new Set<string>();
  accesses.forEach((a, i) => {
    if (names.has(a.name)) throw badPlan(`plan.accesses[${i}].name`, `access ${a.name} is listed twice`);
    names.add(a.name);
  });
  const retired = array('plan.retired', o.retired).map((s, i) =>
    inPlan(() => {
      parseSubnet(`plan.retired[${i}]`, s, range, ipRange);
      return s as string;
    }),
  );
  return { version: PLAN_VERSION, name, netid, ip_range: ipRange, nodes, accesses, retired };
}

/** Reads and validates the plan at `path`; a missing or unreadable file is EPLAN naming `--plan`. */
export async function readPlan(path: string): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw badPlan(
      '--plan',
      isMissingPath(err)
        ? `${path} does not exist (make it with \`mesh create\`)`
        : `${path}: ${(err as Error).message}`,
      err,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw badPlan('--plan', `${path} is not JSON: ${(err as Error).message}`, err);
  }
  return parsePlan(raw);
}

/** The file text of `plan` (stable: two-space JSON, keys in the plan's order, a final newline). */
export const planText = (plan: Plan): string => `${JSON.stringify(plan, null, 2)}\n`;

/** Writes `plan` to `path` atomically, readable by its owner only (it holds private keys). */
export async function writePlan(path: string, plan: Plan): Promise<void> {
  await writeFileAtomic(path, planText(plan), 0o600);
}
