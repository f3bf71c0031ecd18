// Generic netlink for a device in another network namespace. The WireGuard family has no
// netnsid attribute and a netlink socket acts in the namespace it was opened in (Node cannot
// setns), so the request is carried to a process inside that namespace: the kernel backend
// hands a GenlRequest to a runner its owner provides (e.g. the plugin's own program started
// with `nsenter --net=PATH`, or a helper kept per namespace), and that process answers it with
// serveGenlRequest. Requests and answers are JSON (bigints as decimal strings).
import { AppError, Code, isErrorCode, RemoteError, wgBadAnswer } from '../errors.ts';
import { diffConfig } from './diff.ts';
import { genlGet, genlSet } from './genl.ts';
import { isEmptyChange, type WgChange, type WgConfig, type WgState } from './types.ts';

/**
 * One request for the process inside the device's namespace: read, write a change, or `sync`
 * (read, diff against `config`, write the difference: one process where get then set are two).
 */
export type GenlRequest =
  | { op: 'get'; name: string }
  | { op: 'set'; name: string; change: WgChange }
  | { op: 'sync'; name: string; config: WgConfig };

/** Its answer: the state (get), nothing (set), the change written (sync), or the typed error it failed with. */
export type GenlAnswer =
  | { ok: true; state?: JsonState; change?: WgChange }
  | { ok: false; code: string; message: string };

/** WgState as JSON: counters as decimal strings. */
export type JsonState = Omit<WgState, 'peers'> & {
  peers: (Omit<WgState['peers'][number], 'rxBytes' | 'txBytes'> & { rxBytes: string; txBytes: string })[];
};

/** The JSON form of a state. */
export const stateToJson = (s: WgState): JsonState => ({
  ...s,
  peers: s.peers.map((p) => ({ ...p, rxBytes: String(p.rxBytes), txBytes: String(p.txBytes) })),
});

/** A state from its JSON form. */
export const stateFromJson = (s: JsonState): WgState => ({
  ...s,
  peers: s.peers.map((p) => ({ ...p, rxBytes: BigInt(p.rxBytes), txBytes: BigInt(p.txBytes) })),
});

/** Answers `req` in this process's namespace (what the runner's process calls); never throws. */
export async function serveGenlRequest(req: GenlRequest): Promise<GenlAnswer> {
  try {
    if (req.op === 'get') return { ok: true, state: stateToJson(await genlGet(req.name)) };
    if (req.op === 'sync') {
      const change = diffConfig(req.config, await genlGet(req.name));
      if (!isEmptyChange(change)) await genlSet(req.name, change);
      return { ok: true, change };
    }
    await genlSet(req.name, req.change);
    return { ok: true };
  } catch (err) {
    const e = err instanceof AppError ? err : undefined;
    return {
      ok: false,
      code: e?.code ?? Code.EWG_UNREACHABLE,
      message: err instanceof Error ? err.message : String(err),
    };
  }
}

/** The error an answer carries, rebuilt with its code (an unknown code is EWG_PROTO). */
export function answerError(name: string, a: { code: string; message: string }): AppError {
  if (!isErrorCode(a.code))
    return wgBadAnswer(name, `helper answered an unknown code ${JSON.stringify(a.code)}: ${a.message}`);
  return new RemoteError(a.code, a.message, { device: name });
}
