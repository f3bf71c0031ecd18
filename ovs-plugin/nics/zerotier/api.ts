// A member's local API, which answers only from inside the namespace it runs in (Node cannot
// setns): asked through zerotier-one's own CLI (`zerotier-one -q`, the zerotier-cli it is when
// named so) run there with `nsenter --net=` (lib/netns.ts runIn), given the member's port and
// home (`-D`, where it reads authtoken.secret). One short child per question (about 15 ms).
import { isIPv4, isIPv6 } from 'node:net';
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
/**
 * The most a CLI answer may print. The API it asks listens inside the container's namespace,
 * where the container itself can answer in its place: whatever it says is bounded and filtered.
 */
const CLI_MAX_BYTES = 256 * 1024;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The network states zerotier-one reports; anything else is shown as UNKNOWN. */
const STATES = new Set([
  'OK',
  'REQUESTING_CONFIGURATION',
  'ACCESS_DENIED',
  'NOT_FOUND',
  'PORT_ERROR',
  'CLIENT_TOO_OLD',
  'AUTHENTICATION_REQUIRED',
]);
/** At most this many addresses of one network are taken (ZeroTier assigns a handful). */
const MAX_ADDRESSES = 32;

/** `a.b.c.d/n` or `v6/n`, else undefined. */
function cidrOf(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length > 50) return undefined;
  const [ip, len, extra] = v.split('/');
  const max = isIPv4(ip ?? '') ? 32 : isIPv6(ip ?? '') ? 128 : -1;
  return extra === undefined && /^\d{1,3}$/.test(len ?? '') && Number(len) <= max ? v : undefined;
}

/** The member's answer as typed networks (what is not an object with a nwid is left out). */
export function parseNetworks(text: string): ZtNetwork[] {
  const v: unknown = JSON.parse(text);
  if (!Array.isArray(v)) throw new Error(`listnetworks answered ${text.slice(0, 80)}`);
  return v
    .filter((n): n is Record<string, unknown> => typeof n === 'object' && n !== null && typeof n.nwid === 'string')
    .map((n) => ({
      nwid: str(n.nwid),
      status: STATES.has(str(n.status)) ? str(n.status) : 'UNKNOWN',
      assignedAddresses: Array.isArray(n.assignedAddresses)
        ? n.assignedAddresses
            .slice(0, MAX_ADDRESSES)
            .map(cidrOf)
            .filter((a): a is string => a !== undefined)
        : [],
      portDeviceName: /^[A-Za-z0-9_.-]{1,15}$/.test(str(n.portDeviceName)) ? str(n.portDeviceName) : '',
      mac: /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(str(n.mac)) ? str(n.mac) : '',
      mtu: typeof n.mtu === 'number' && Number.isInteger(n.mtu) && n.mtu >= 0 && n.mtu <= 65535 ? n.mtu : 0,
    }));
}

/** Runs the CLI inside `ref` against member `m`; undefined when the member does not answer (not up yet, gone). */
async function cli(ref: NetnsRef, bin: string, m: ZtMember, args: string[]): Promise<string | undefined> {
  try {
    const r = await runIn(ref, bin, ['-q', `-p${m.port}`, `-D${m.home}`, '-j', ...args], {
      allowFailure: true,
      timeoutMs: CLI_MS,
      maxOutputBytes: CLI_MAX_BYTES,
    });
    return r.exitCode === 0 ? r.stdout : undefined;
  } catch (err) {
    // A member that takes the connection and never answers (stopped, or starting), or one whose
    // answer passes the bound (killed), is one that does not answer.
    if (err instanceof ExecError && (err.timedOut || err.signal === 'SIGKILL')) return undefined;
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
