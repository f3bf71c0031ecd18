// The hidden `ovs-plugin wg-genl` subcommand: run by the kernel WireGuard backend inside an NR's
// namespace (`nsenter --net=/run/netns/n-<netid> <node> <bundle> wg-genl`, nr-wireguard.ts),
// it reads one JSON GenlRequest on stdin, answers it over generic netlink in that namespace
// (lib/wireguard/genl-remote.ts serveGenlRequest) and writes the JSON GenlAnswer on stdout.
import type { Readable, Writable } from 'node:stream';
import { Code } from '../../lib/errors.ts';
import { serveGenlRequest, type GenlRequest } from '../../lib/wireguard/genl-remote.ts';

/** The subcommand's name (argv[2] of the bundle). */
export const WG_GENL = 'wg-genl';

/** Reads the request from `input`, writes the answer to `out`; exit code 0 (failures are answers). */
export async function runWgGenl(input: Readable, out: Writable): Promise<number> {
  let text = '';
  for await (const chunk of input) text += String(chunk);
  let req: GenlRequest;
  try {
    req = JSON.parse(text) as GenlRequest;
    if (!req || (req.op !== 'get' && req.op !== 'set') || typeof req.name !== 'string')
      throw new Error('not a request');
  } catch {
    out.write(
      JSON.stringify({
        ok: false,
        code: Code.EINVALID,
        message: 'wg-genl: stdin is not a JSON request {op: "get" | "set", name, change?}',
      }) + '\n',
    );
    return 1;
  }
  out.write(JSON.stringify(await serveGenlRequest(req)) + '\n');
  return 0;
}
