// The kernel command line the agent reads (/proc/cmdline): split shell-style like Zero-OS
// (shlex), `key=value` with the last value winning. Malformed values of keys we own are
// refused with a ValidationError naming the key, before anything is changed.
import { isIPv4 } from 'node:net';
import { ValidationError } from '../lib/errors.ts';
import { isMac, linkName, mac as macAddr, netmaskToPrefix, vlanText } from '../lib/validate.ts';

/** Static configuration from `ip=<client>:<server>:<gw>:<netmask>:<hostname>:<device>:off`. */
export interface StaticIp {
  address: string;
  prefix: number;
  gateway: string;
  device: string;
  hostname?: string;
  dns: string[];
}

/** What the agent takes from the kernel command line. */
export interface KernelOptions {
  debug: boolean;
  /** `zos.nic=`: a link name or MAC (lower-case) that pins the NIC. */
  pin?: string;
  /** `vlan:priv=`: VLAN id of the management network; undefined for none/untagged. */
  vlanPriv?: number;
  /** `vlan:pub=`: VLAN id of the public network, carried tagged on the NIC. */
  vlanPub?: number;
  static?: StaticIp;
}

/** Splits like Python's shlex.split (POSIX mode): whitespace, '...', "..." and backslash. */
export function shellSplit(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = null; else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) cur += text[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c; inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new Error('trailing backslash');
      cur += text[++i]; inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = ''; inWord = false;
    } else {
      cur += c; inWord = true;
    }
  }
  if (quote) throw new Error('unterminated quote');
  if (inWord) out.push(cur);
  return out;
}

/** `key=value` pairs (a bare word maps to ''); the last occurrence of a key wins. */
export function parseParams(text: string): Map<string, string> {
  let words: string[];
  try {
    words = shellSplit(text);
  } catch (err) {
    throw new ValidationError('cmdline', `cannot split the kernel command line: ${(err as Error).message}`);
  }
  const params = new Map<string, string>();
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq < 0) params.set(w, ''); else params.set(w.slice(0, eq), w.slice(eq + 1));
  }
  return params;
}

/**
 * Linux nfsroot `ip=` (Documentation/admin-guide/nfs/nfsroot.rst):
 * `<client>:<server>:<gw>:<netmask>:<hostname>:<device>:<autoconf>[:<dns0>[:<dns1>]]`. Only
 * `off`/`none` (static) is taken; `ip=dhcp|on|any` (or empty) means normal probing (undefined).
 */
export function parseIp(v: string): StaticIp | undefined {
  if (['dhcp', 'on', 'any', ''].includes(v)) return undefined;
  const f = v.split(':');
  const bad = (part: string, why: string): never => {
    throw new ValidationError('ip=', `${part} ${why} (expected <client>::<gw>:<netmask>:<hostname>:<device>:off, or dhcp)`);
  };
  if (f.length < 7 || f.length > 9) bad(JSON.stringify(v), `has ${f.length} colon-separated fields, not 7`);
  const [client, , gw, netmask, hostname, device, autoconf, dns0, dns1] = f as string[];
  if (autoconf !== 'off' && autoconf !== 'none') bad(`autoconf ${JSON.stringify(autoconf)}`, 'is not supported: only "off" (static) or ip=dhcp');
  if (!isIPv4(client!)) bad(`client ${JSON.stringify(client)}`, 'is not an IPv4 address');
  if (!isIPv4(gw!)) bad(`gateway ${JSON.stringify(gw)}`, 'is not an IPv4 address');
  let prefix = 0;
  try {
    prefix = netmaskToPrefix('ip=', netmask!);
  } catch {
    bad(`netmask ${JSON.stringify(netmask)}`, 'is not a contiguous dotted netmask');
  }
  if (!device) bad('device', 'is empty: name the NIC');
  try {
    linkName('ip=', device);
  } catch {
    bad(`device ${JSON.stringify(device)}`, 'is not an interface name');
  }
  const dns = [dns0, dns1].filter((d): d is string => !!d);
  for (const d of dns) if (!isIPv4(d)) bad(`dns ${JSON.stringify(d)}`, 'is not an IPv4 address');
  return { address: client!, prefix, gateway: gw!, device: device!, dns, ...(hostname ? { hostname } : {}) };
}

/** Parses the kernel command line text; throws ValidationError naming the key on bad values. */
export function parseKernelCmdline(text: string): KernelOptions {
  const p = parseParams(text);
  const opts: KernelOptions = { debug: p.has('zos-debug') };
  const nic = p.get('zos.nic');
  if (nic !== undefined) {
    if (isMac(nic)) opts.pin = macAddr('zos.nic', nic);
    else {
      try {
        opts.pin = linkName('zos.nic', nic);
      } catch {
        throw new ValidationError('zos.nic', `${JSON.stringify(nic)} is neither an interface name nor a MAC address`);
      }
    }
  }
  const priv = p.get('vlan:priv');
  const privId = priv === undefined ? undefined : vlanText('vlan:priv', priv);
  if (privId !== undefined) opts.vlanPriv = privId;
  const pub = p.get('vlan:pub');
  const pubId = pub === undefined ? undefined : vlanText('vlan:pub', pub);
  if (pubId !== undefined) opts.vlanPub = pubId;
  const ipv = p.get('ip');
  if (ipv !== undefined) {
    const st = parseIp(ipv);
    if (st) opts.static = st;
  }
  return opts;
}
