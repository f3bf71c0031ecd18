// A member's local API, which answers only from inside the namespace it runs in (Node cannot
// setns): asked through zerotier-one's own CLI (`zerotier-one -q`, the zerotier-cli it is when
// named so) run there with `nsenter --net=` (lib/netns.ts runIn), given the member's port and
// home (`-D`, where it reads authtoken.secret). One short child per question (about 15 ms).
import { ExecError } from '../../../lib/errors.ts';
import { runIn, type NetnsRef } from '../../../lib/netns.ts';
import type { ZtMember } from '../types.ts';

/** One network as the member reports it (`-j listnetworks`), the fields we use. */
export interface ZtNetwork {
  nwid: string;
  /** OK, REQUESTING_CONFIGURATION, ACCESS_DENIED, NOT_FOUND, PORT_ERROR, CLIENT_TOO_OLD, AUTHENTICATION_REQUIRED. */
  status: string;
  assignedAddresses: string[];
  portDeviceName: string;
  mac: string;
  mtu: number;
}

/** The states after which waiting longer cannot help (the TAP could not be made, the member is too old). */
export const FINAL_STATES = new Set(['PORT_ERROR', 'CLIENT_TOO_OLD']);

/** How long one CLI question may take (it answers in ~15 ms). */
const CLI_MS = 3000;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The member's answer as typed networks (what is not an object with a nwid is left out). */
function parseNetworks(text: string): ZtNetwork[] {
  const v: unknown = JSON.parse(text);
  if (!Array.isArray(v)) throw new Error(`listnetworks answered ${text.slice(0, 80)}`);
  return v
    .filter((n): n is Record<string, unknown> => typeof n === 'object' && n !== null && typeof n.nwid === 'string')
    .map((n) => ({
      nwid: str(n.nwid),
      status: str(n.status),
      assignedAddresses: Array.isArray(n.assignedAddresses) ? n.assignedAddresses.map(str) : [],
      portDeviceName: str(n.portDeviceName),
      mac: str(n.mac),
      mtu: typeof n.mtu === 'number' ? n.mtu : 0,
    }));
}

/** Runs the CLI inside `ref` against member `m`; undefined when the member does not answer (not up yet, gone). */
async function cli(ref: NetnsRef, bin: string, m: ZtMember, args: string[]): Promise<string | undefined> {
  try {
    const r = await runIn(ref, bin, ['-q', `-p${m.port}`, `-D${m.home}`, '-j', ...args], {
      allowFailure: true,
      timeoutMs: CLI_MS,
    });
    return r.exitCode === 0 ? r.stdout : undefined;
  } catch (err) {
    // A member that takes the connection and never answers (stopped, or starting) is one that does not answer.
    if (err instanceof ExecError && err.timedOut) return undefined;
    throw err;
  }
}

/** The member's view of network `nwid`: undefined when it does not answer; `null` when it answers without it. */
export async function networkOf(
  ref: NetnsRef,
  bin: string,
  m: ZtMember,
  nwid: string,
): Promise<ZtNetwork | null | undefined> {
  const out = await cli(ref, bin, m, ['listnetworks']);
  if (out === undefined) return undefined;
  let nets: ZtNetwork[];
  try {
    nets = parseNetworks(out);
  } catch {
    return undefined; // a half-started member may answer with text
  }
  return nets.find((n) => n.nwid === nwid) ?? null;
}

/** Leaves network `nwid` (DELETE /network: its TAP goes); true when the member said so. */
export async function leaveNetwork(ref: NetnsRef, bin: string, m: ZtMember, nwid: string): Promise<boolean> {
  return (await cli(ref, bin, m, ['leave', nwid])) !== undefined;
}
