// The kernel backend's remote runner (kernel.ts `remote`): a GenlRequest for a device in another
// namespace is carried, as JSON on stdin, to a short-lived copy of a program of ours started
// there with `nsenter --net=PATH` (the plugin's hidden `wg-genl` subcommand), which answers it
// with serveGenlRequest as JSON on stdout. One process per request: generic netlink acts in the
// namespace its socket was opened in, and Node cannot setns (docs/overlay.md).
import { wgBadAnswer, wgUnreachable, ValidationError, AppError, Code } from '../errors.ts';
import { runIn } from '../netns.ts';
import { typeName } from '../validate.ts';
import type { WgDeviceRef } from './backend.ts';
import { serveGenlRequest, type GenlAnswer, type GenlRequest } from './genl-remote.ts';
import { validateWgConfig, wgAllowedIp, wgEndpoint, wgKey, type WgChange, type WgPeerChange } from './types.ts';

/** The subcommand the runner appends to its command. */
export const WG_GENL_SUBCOMMAND = 'wg-genl';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function optInt(field: string, v: unknown, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
    throw new ValidationError(field, `must be an integer 0..${max}, got ${typeName(v)} ${JSON.stringify(v)}`);
  return v;
}

function parsePeerChange(field: string, v: unknown): WgPeerChange {
  if (!isObject(v)) throw new ValidationError(field, `must be an object, got ${typeName(v)}`);
  const publicKey = wgKey(`${field}.publicKey`, v.publicKey);
  if (v.remove !== undefined) {
    if (v.remove !== true) throw new ValidationError(`${field}.remove`, 'must be true when given');
    return { publicKey, remove: true };
  }
  if (typeof v.create !== 'boolean')
    throw new ValidationError(`${field}.create`, `must be a boolean, got ${typeName(v.create)}`);
  if (v.allowedIps !== undefined && !Array.isArray(v.allowedIps))
    throw new ValidationError(`${field}.allowedIps`, `must be an array, got ${typeName(v.allowedIps)}`);
  if (v.addAllowedIps !== undefined && (v.addAllowedIps !== true || v.allowedIps === undefined))
    throw new ValidationError(`${field}.addAllowedIps`, 'must be true, and only beside allowedIps');
  return {
    publicKey,
    create: v.create,
    ...(v.endpoint !== undefined ? { endpoint: wgEndpoint(`${field}.endpoint`, v.endpoint) } : {}),
    ...(v.persistentKeepalive !== undefined
      ? { persistentKeepalive: optInt(`${field}.persistentKeepalive`, v.persistentKeepalive, 65535) }
      : {}),
    ...(Array.isArray(v.allowedIps)
      ? { allowedIps: v.allowedIps.map((a, i) => wgAllowedIp(`${field}.allowedIps[${i}]`, a)) }
      : {}),
    ...(v.addAllowedIps === true ? { addAllowedIps: true as const } : {}),
  };
}

/** A request read from outside (the helper's stdin), validated; ValidationError names the field. */
export function parseGenlRequest(v: unknown): GenlRequest {
  if (!isObject(v)) throw new ValidationError('request', `must be an object, got ${typeName(v)}`);
  if (typeof v.name !== 'string' || !/^[A-Za-z0-9_.-]{1,15}$/.test(v.name))
    throw new ValidationError('request.name', `must be an interface name, got ${JSON.stringify(v.name)}`);
  if (v.op === 'get') return { op: 'get', name: v.name };
  if (v.op === 'sync') return { op: 'sync', name: v.name, config: validateWgConfig(v.config, 'request.config') };
  if (v.op !== 'set')
    throw new ValidationError('request.op', `must be "get", "set" or "sync", got ${JSON.stringify(v.op)}`);
  return { op: 'set', name: v.name, change: parseChange('request.change', v.change) };
}

/** A WgChange read from outside (a request, or a sync's answer), validated; ValidationError names the field. */
export function parseChange(field: string, c: unknown): WgChange {
  if (!isObject(c)) throw new ValidationError(field, `must be an object, got ${typeName(c)}`);
  if (!Array.isArray(c.peers))
    throw new ValidationError(`${field}.peers`, `must be an array, got ${typeName(c.peers)}`);
  const listenPort = optInt(`${field}.listenPort`, c.listenPort, 65535);
  const fwmark = optInt(`${field}.fwmark`, c.fwmark, 0xffffffff);
  return {
    ...(c.privateKey !== undefined ? { privateKey: wgKey(`${field}.privateKey`, c.privateKey) } : {}),
    ...(listenPort !== undefined ? { listenPort } : {}),
    ...(fwmark !== undefined ? { fwmark } : {}),
    peers: c.peers.map((p, i) => parsePeerChange(`${field}.peers[${i}]`, p)),
  };
}

/** The helper's side: one JSON request in, one JSON answer out (never throws; bad input is EINVALID). */
export async function answerGenlText(text: string): Promise<GenlAnswer> {
  let req: GenlRequest;
  try {
    req = parseGenlRequest(JSON.parse(text));
  } catch (err) {
    const e = err instanceof AppError ? err : new ValidationError('request', `is not JSON: ${(err as Error).message}`);
    return { ok: false, code: e.code ?? Code.EINVALID, message: e.message };
  }
  return serveGenlRequest(req);
}

/** `wg-genl`: reads the request from `input`, writes the answer as one JSON line; exit 0 unless the request failed. */
export async function runWgGenl(input: NodeJS.ReadableStream, write: (s: string) => void): Promise<number> {
  const chunks: Buffer[] = [];
  for await (const c of input) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  const a = await answerGenlText(Buffer.concat(chunks).toString('utf8'));
  write(`${JSON.stringify(a)}\n`);
  return a.ok ? 0 : 1;
}

/** Is `v` a GenlAnswer in shape (the runner trusts nothing it reads back). */
function isAnswer(v: unknown): v is GenlAnswer {
  if (!isObject(v)) return false;
  if (v.ok === true)
    return (v.state === undefined || isObject(v.state)) && (v.change === undefined || isObject(v.change));
  return v.ok === false && typeof v.code === 'string' && typeof v.message === 'string';
}

/**
 * A runner for kernelBackend({remote}): `command` (e.g. ['node', '/usr/lib/zos/ovs-plugin.js'])
 * plus `wg-genl`, run inside the device's namespace (lib/netns.ts runIn: nsenter --net=).
 * A helper that cannot start, times out or answers garbage is EWG_UNREACHABLE / EWG_PROTO.
 */
export function nsenterRunner(
  command: readonly string[],
  o: { timeoutMs?: number } = {},
): (dev: WgDeviceRef, req: GenlRequest) => Promise<GenlAnswer> {
  const [cmd, ...args] = command;
  if (!cmd) throw new ValidationError('command', 'must name a program');
  return async (dev, req) => {
    const r = await runIn(dev.netns, cmd, [...args, WG_GENL_SUBCOMMAND], {
      input: JSON.stringify(req),
      timeoutMs: o.timeoutMs ?? 60_000,
      allowFailure: true,
    }).catch((err: unknown) => {
      throw wgUnreachable(dev.name, `the wg-genl helper did not run: ${(err as Error).message}`, err);
    });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    let a: unknown;
    try {
      a = JSON.parse(line);
    } catch {
      a = undefined;
    }
    if (!isAnswer(a)) {
      if (r.exitCode !== 0)
        throw wgUnreachable(dev.name, `the wg-genl helper exited ${r.exitCode}: ${r.stderr.trim().slice(0, 400)}`);
      throw wgBadAnswer(dev.name, `the wg-genl helper answered ${JSON.stringify(line.slice(0, 200))}`);
    }
    return a;
  };
}
