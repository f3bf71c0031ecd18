// wireguard-go's userspace API (https://www.wireguard.com/xplatform/): one request per
// connection to the unix socket `<dir>/<name>.sock` (/var/run/wireguard by default; a file path,
// so it is global across network namespaces). `get=1` answers `key=value` lines (keys in hex)
// ending with `errno=N` and an empty line; `set=1` takes lines in the same form and answers
// `errno=N`. This module formats and parses that text and does the socket round trip.
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { errnoOf, isNoListener, wgBadAnswer, wgNoDevice, wgRefused, wgUnreachable } from '../errors.ts';
import {
  keyFromHex,
  keyToHex,
  publicKeyOf,
  wgAllowedIp,
  wgEndpoint,
  type WgChange,
  type WgPeerState,
  type WgState,
} from './types.ts';

/** Where wireguard-go puts its control sockets (its own constant, not configurable in it). */
export const DEFAULT_SOCKET_DIR = '/var/run/wireguard';

/** The UAPI socket of device `name` under `dir`. */
export const socketPath = (dir: string, name: string): string => join(dir, `${name}.sock`);

/** The `set=1` request body for `c` (without the leading `set=1` line and the final empty line). */
export function formatSet(c: WgChange): string {
  const l: string[] = [];
  if (c.privateKey !== undefined) l.push(`private_key=${keyToHex(c.privateKey)}`);
  if (c.listenPort !== undefined) l.push(`listen_port=${c.listenPort}`);
  if (c.fwmark !== undefined) l.push(`fwmark=${c.fwmark}`);
  for (const p of c.peers) {
    l.push(`public_key=${keyToHex(p.publicKey)}`);
    if ('remove' in p) {
      l.push('remove=true');
      continue;
    }
    // Right after public_key: a peer removed meanwhile is not created again by an update.
    if (!p.create) l.push('update_only=true');
    if (p.endpoint !== undefined) l.push(`endpoint=${p.endpoint}`);
    if (p.persistentKeepalive !== undefined) l.push(`persistent_keepalive_interval=${p.persistentKeepalive}`);
    if (p.allowedIps !== undefined) {
      if (!p.addAllowedIps) l.push('replace_allowed_ips=true');
      for (const a of p.allowedIps) l.push(`allowed_ip=${a}`);
    }
  }
  return l.map((x) => `${x}\n`).join('');
}

/** The number of a `key=value` line, or a protocol error naming the key. */
function num(device: string, key: string, v: string): number {
  if (!/^\d+$/.test(v)) throw wgBadAnswer(device, `${key}=${v.slice(0, 40)} is not a number`);
  return Number(v);
}

/** `v` through a validator of types.ts, or a protocol error naming the key. */
function canonical(device: string, key: string, v: string, fn: (field: string, v: unknown) => string): string {
  try {
    return fn(key, v);
  } catch {
    throw wgBadAnswer(device, `${key}=${v.slice(0, 60)} is not one`);
  }
}

/** Parses a `get=1` answer (its `errno=0` already checked) into the device's state. */
export function parseGet(device: string, text: string): WgState {
  const state: WgState = { listenPort: 0, fwmark: 0, peers: [] };
  let peer: WgPeerState | undefined;
  let hsSec = 0;
  const endPeer = () => {
    if (peer) peer.lastHandshakeMs += hsSec * 1000;
    hsSec = 0;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw wgBadAnswer(device, `line ${JSON.stringify(line.slice(0, 40))} is not key=value`);
    const k = line.slice(0, eq);
    const v = line.slice(eq + 1);
    if (k === 'public_key') {
      endPeer();
      peer = {
        publicKey: keyFromHex(v),
        allowedIps: [],
        persistentKeepalive: 0,
        lastHandshakeMs: 0,
        rxBytes: 0n,
        txBytes: 0n,
      };
      state.peers.push(peer);
      continue;
    }
    if (!peer) {
      if (k === 'private_key') {
        state.privateKey = keyFromHex(v);
        state.publicKey = publicKeyOf(state.privateKey);
      } else if (k === 'listen_port') state.listenPort = num(device, k, v);
      else if (k === 'fwmark') state.fwmark = num(device, k, v);
      continue; // errno, and keys newer than this parser
    }
    // In our canonical forms (types.ts), so that what we wrote compares equal to what is read
    // (Go writes an IPv4-mapped address as ::ffff:1.2.3.4, we as ::ffff:102:304).
    if (k === 'endpoint') peer.endpoint = canonical(device, k, v, wgEndpoint);
    else if (k === 'allowed_ip') peer.allowedIps.push(canonical(device, k, v, wgAllowedIp));
    else if (k === 'persistent_keepalive_interval') peer.persistentKeepalive = num(device, k, v);
    else if (k === 'last_handshake_time_sec') hsSec = num(device, k, v);
    else if (k === 'last_handshake_time_nsec') peer.lastHandshakeMs = Math.floor(num(device, k, v) / 1e6);
    else if (k === 'rx_bytes') peer.rxBytes = BigInt(num(device, k, v));
    else if (k === 'tx_bytes') peer.txBytes = BigInt(num(device, k, v));
  }
  endPeer();
  return state;
}

/** The errno of an answer (its `errno=N` line); a protocol error when there is none. */
function errnoIn(device: string, answer: string): number {
  const m = /(?:^|\n)errno=(-?\d+)\n/.exec(answer);
  if (!m) throw wgBadAnswer(device, `answer without errno: ${JSON.stringify(answer.slice(-80))}`);
  return Number(m[1]);
}

/** Sends one request to `path` and reads the answer up to its empty line. */
export function uapiRequest(device: string, path: string, request: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    let answer = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(wgUnreachable(device, `${path}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (err?: Error) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(answer);
    };
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(request));
    sock.on('data', (d: string) => {
      answer += d;
      if (/(?:^|\n)\n$/.test(answer) && /(?:^|\n)errno=/.test(answer)) done();
    });
    sock.on('end', () => done(answer ? undefined : wgBadAnswer(device, `${path} closed without an answer`)));
    sock.on('error', (err) => {
      // No socket, or a socket nobody serves (wireguard-go gone): no such device.
      done(
        isNoListener(err)
          ? wgNoDevice(device, `${path}: ${errnoOf(err)}`)
          : wgUnreachable(device, `${path}: ${err.message}`, err),
      );
    });
  });
}

/** Reads device `name`'s state through its socket under `dir`. */
export async function uapiGet(dir: string, name: string): Promise<WgState> {
  const answer = await uapiRequest(name, socketPath(dir, name), 'get=1\n\n');
  const errno = errnoIn(name, answer);
  if (errno !== 0) throw wgRefused(name, errno, 'get');
  return parseGet(name, answer);
}

/** Applies `c` to device `name` in one `set=1` request. */
export async function uapiSet(dir: string, name: string, c: WgChange): Promise<void> {
  const answer = await uapiRequest(name, socketPath(dir, name), `set=1\n${formatSet(c)}\n`);
  const errno = errnoIn(name, answer);
  if (errno !== 0) throw wgRefused(name, errno);
}
