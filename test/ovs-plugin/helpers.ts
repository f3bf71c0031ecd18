// Helpers for the plugin's tests: run the bundled plugin inside the test's namespace (so links
// such as a vxlan master are visible to it), against the test's private ovsdb-server.
import { existsSync } from 'node:fs';
import { run, type RunResult } from '../../lib/exec.ts';
import { netnsPath } from '../../lib/netns.ts';
import type { Ovs } from '../helpers/ovs.ts';

/** The bundle under test. */
export const BUNDLE = 'dist/ovs-plugin.js';

/** Builds dist/ovs-plugin.js if it is missing (make test builds it first). */
export async function ensureBundle(): Promise<void> {
  if (!existsSync(BUNDLE)) await run('node', ['build.mjs'], { timeoutMs: 120000 });
}

/** Environment the plugin reads: the private OVSDB and the userspace datapath. */
export const pluginEnv = (ovs: Ovs): Record<string, string> =>
  ({ ...(process.env as Record<string, string>), OVS_DB: ovs.url, OVS_DATAPATH: 'netdev' });

/** Parses `20:::<json>\n:::` framing; throws if the output is not framed. */
export function unframe(stdout: string): unknown {
  const m = /^20:::(.*)\n:::\n?$/s.exec(stdout);
  if (!m) throw new Error(`not framed: ${JSON.stringify(stdout)}`);
  return JSON.parse(m[1]!);
}

/** One exec call in the test namespace: exit code and the unframed answer. */
export async function execPlugin(ovs: Ovs, command: string, args?: unknown): Promise<RunResult & { value: any }> {
  const argv = [`--net=${netnsPath(ovs.ns)}`, '--', 'node', BUNDLE, command];
  if (args !== undefined) argv.push(typeof args === 'string' ? args : JSON.stringify(args));
  const r = await run('nsenter', argv, { env: pluginEnv(ovs), allowFailure: true, timeoutMs: 30000 });
  return { ...r, value: unframe(r.stdout) };
}

/** Ports of bridge `br` by name, with tag and interface type/options (through ovs-vsctl, independent of our client). */
export async function portsOf(ovs: Ovs, br: string): Promise<string[]> {
  const out = await ovs.vsctl('list-ports', br);
  return out ? out.split('\n').sort() : [];
}
