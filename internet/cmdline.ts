// The kernel command line the agent reads (/proc/cmdline): split as the kernel splits it,
// `key=value` with the last value winning. Malformed values of keys we read are refused with a
// ValidationError naming the key, before anything is changed; nothing in a key we do not read
// (a stray quote, say) can stop the agent: it is a warning.
import { isIPv4 } from 'node:net';
import { ValidationError } from '../lib/errors.ts';
import { isMac, parseLinkName, parseMac, netmaskToPrefix, parsePrefixText, parseVlanText } from '../lib/validate.ts';
import { gatewayOnLink, gatewayProblem, hostAddressProblem, notUnicastV4, notUnicastV6 } from '../lib/unicast.ts';

/** Static configuration from `ip=<client>:<server>:<gw>:<netmask>:<hostname>:<device>:off`. */
export interface StaticIp {
  family: 4 | 6;
  address: string;
  prefix: number;
  gateway: string;
  device: string;
  hostname?: string;
  dns: string[];
  /** The gateway lies outside the client's subnet: the default route is `onlink`. */
  onlink?: boolean;
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
  /** What was odd but not ours to refuse (a stray quote, an unknown zos. key, an unused field). */
  warnings: string[];
}

/** Splits like Python's shlex.split (POSIX mode), as zinit splits a unit's `exec:` (tests check units with it). */
export function shellSplit(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) cur += text[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new Error('trailing backslash');
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new Error('unterminated quote');
  if (inWord) out.push(cur);
  return out;
}

/**
 * Words of the kernel command line as the kernel itself splits them (kernel/params.c
 * `next_arg`): blanks separate words, a double quote groups blanks into a word, single quotes
 * and backslashes are plain characters. It never throws: an unterminated `"` (which the kernel
 * would let run to the end of the line) is reported in `warnings` and the rest of that word is
 * split at blanks, so one stray quote in a key we do not read cannot hide ours.
 */
export function splitKernelCmdline(text: string): { words: string[]; warnings: string[] } {
  const words: string[] = [];
  const warnings: string[] = [];
  const n = text.length;
  for (let i = 0; i < n; ) {
    while (i < n && /\s/.test(text[i]!)) i++;
    if (i >= n) break;
    const start = i;
    let quoted = false;
    for (; i < n && (quoted || !/\s/.test(text[i]!)); i++) if (text[i] === '"') quoted = !quoted;
    const raw = text.slice(start, i);
    if (!quoted) {
      words.push(raw.replaceAll('"', ''));
      continue;
    }
    warnings.push(`unterminated " in ${JSON.stringify(raw.slice(0, 60))}: read word by word`);
    words.push(...raw.split(/\s+/).filter(Boolean)); // the stray quote stays: a key of ours with it is refused
  }
  return { words, warnings };
}

/** `key=value` pairs (a bare word maps to ''); the last occurrence of a key wins. Never throws. */
export function parseParams(text: string): { params: Map<string, string>; warnings: string[] } {
  const { words, warnings } = splitKernelCmdline(text);
  const params = new Map<string, string>();
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq < 0) {
      params.set(w, '');
      continue;
    }
    let v = w.slice(eq + 1);
    if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) v = v.slice(1, -1); // Zero-OS split with shlex
    params.set(w.slice(0, eq), v);
  }
  return { params, warnings };
}

/** One key the agent reads: its name and each value form it takes, with what that form means. */
export interface KernelKey {
  name: string;
  /** `value` undefined: the bare key (`zos-debug`). */
  forms: readonly { value?: string; meaning: string }[];
}

/**
 * The keys the agent reads (parseKernelCmdline), the source of `internet help` and README's key table; other keys of
 * our families (zos., zos-, vlan:) get a warning.
 */
export const KERNEL_KEYS: readonly KernelKey[] = [
  { name: 'zos-debug', forms: [{ meaning: 'debug log lines' }] },
  { name: 'zos.nic', forms: [{ value: '<name|mac>', meaning: 'only this NIC is probed and used' }] },
  { name: 'vlan:priv', forms: [{ value: '<id|none|untagged>', meaning: 'management VLAN 1..4094 (probed tagged)' }] },
  {
    name: 'vlan:pub',
    forms: [{ value: '<id|none|untagged>', meaning: 'public VLAN 1..4094, carried tagged on the NIC' }],
  },
  {
    name: 'ip',
    forms: [
      {
        value: '<client>:<server>:<gw>:<netmask>:<hostname>:<device>:off[:<dns0>[:<dns1>[:<ntp0>]]]',
        meaning: 'static IPv4, no probing (<server> and <ntp0> are not used)',
      },
      {
        value: '[<client6>]::[<gw6>]:<prefix>:<hostname>:<device>:off[:[<dns6>]...]',
        meaning: 'static IPv6, no probing',
      },
      { value: 'dhcp|on|any|off|none', meaning: 'normal probing' },
    ],
  },
];

/** Each form of each key as written on the command line: `zos-debug`, `zos.nic=<name|mac>`, ... */
export const kernelKeyForms = (): { key: string; meaning: string }[] =>
  KERNEL_KEYS.flatMap((k) =>
    k.forms.map((f) => ({ key: f.value === undefined ? k.name : `${k.name}=${f.value}`, meaning: f.meaning })),
  );

/** The key list of `internet help`: a form too long for the column gets its own line. */
export function kernelKeysHelp(): string {
  return kernelKeyForms()
    .map(({ key, meaning }) =>
      key.length > 30 ? `  ${key}\n  ${''.padEnd(30)}  ${meaning}` : `  ${key.padEnd(30)}  ${meaning}`,
    )
    .join('\n');
}

const KERNEL_KEY_NAMES: readonly string[] = KERNEL_KEYS.map((k) => k.name);

/** Splits `ip=` at colons outside `[...]` (IPv6 addresses are written in brackets). */
function ipFields(v: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (const c of v) {
    if (c === '[') depth++;
    else if (c === ']') depth--;
    if (depth < 0 || depth > 1) return undefined;
    if (c === ':' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (depth) return undefined;
  out.push(cur);
  return out;
}

const IP_FORM =
  '<client>::<gw>:<netmask>:<hostname>:<device>:off[:<dns0>[:<dns1>[:<ntp0>]]] ' +
  '(IPv6: [<client>]::[<gw>]:<prefix>:<hostname>:<device>:off), or dhcp';

/**
 * Linux nfsroot `ip=` (Documentation/admin-guide/nfs/nfsroot.rst):
 * `<client>:<server>:<gw>:<netmask>:<hostname>:<device>:<autoconf>[:<dns0>[:<dns1>[:<ntp0>]]]`,
 * 7 to 10 fields; `<server>` and `<ntp0>` are not used. IPv6 as dracut writes it: addresses in
 * brackets, the netmask a prefix length (a prefix length is taken for IPv4 too). Only
 * `off`/`none` (static) is taken; `ip=dhcp|on|any|off|none` alone (or empty) means normal
 * probing (undefined).
 * Every address is checked for what it must be on a link: the client a unicast host address of
 * its subnet, the gateway a unicast address other than the client; a gateway outside the subnet
 * is accepted and routed `onlink` (`warnings` says so).
 */
export function parseIp(v: string, warnings: string[] = []): StaticIp | undefined {
  // `off`/`none` alone: no autoconfiguration in the kernel, which is what we are for.
  if (['dhcp', 'on', 'any', '', 'off', 'none'].includes(v)) return undefined;
  const bad = (part: string, why: string): never => {
    throw new ValidationError('ip=', `${part} ${why} (expected ${IP_FORM})`);
  };
  if (/^[a-z0-9]+$/.test(v))
    bad(`${JSON.stringify(v)}`, 'is not supported: alone, only dhcp, on, any, off or none (all mean: probe)');
  const f = ipFields(v) ?? bad(JSON.stringify(v), 'has unbalanced [ ]');
  if (f.length < 7 || f.length > 10) {
    if (!v.includes('[') && f.length >= 3 && !isIPv4(f[0]!) && /^[0-9a-f]{0,4}$/i.test(f[0]!)) {
      bad(JSON.stringify(v), 'looks like an unbracketed IPv6 address: write IPv6 addresses in brackets');
    }
    bad(JSON.stringify(v), `has ${f.length} colon-separated fields, accepted are 7 to 10`);
  }
  const [clientF, server, gwF, netmask, hostname, device, autoconf, ...extra] = f as string[];
  if (autoconf !== 'off' && autoconf !== 'none')
    bad(`autoconf ${JSON.stringify(autoconf)}`, 'is not supported: only "off" (static) or ip=dhcp');
  const unbracket = (x: string) => (x.startsWith('[') && x.endsWith(']') ? x.slice(1, -1) : x);
  const family: 4 | 6 = clientF!.startsWith('[') ? 6 : 4;
  const client = unbracket(clientF!);
  const gw = unbracket(gwF!);
  const check = family === 4 ? notUnicastV4 : notUnicastV6;
  const clientWhy = family === 4 ? (isIPv4(client) ? check(client) : 'is not an IPv4 address') : check(client);
  if (clientWhy) bad(`client ${JSON.stringify(client)}`, clientWhy);
  let prefix = 0;
  if (/^\d{1,3}$/.test(netmask!))
    prefix =
      parsePrefixText(netmask!) ??
      bad(`netmask ${JSON.stringify(netmask)}`, 'is not a prefix length: no leading zeros');
  else if (family === 6) bad(`netmask ${JSON.stringify(netmask)}`, 'is not an IPv6 prefix length 1..128');
  else {
    try {
      prefix = netmaskToPrefix('ip=', netmask!);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      bad(`netmask ${JSON.stringify(netmask)}`, 'is not a contiguous dotted netmask');
    }
  }
  const max = family === 4 ? 32 : 128;
  if (prefix < 1 || prefix > max)
    bad(`netmask ${JSON.stringify(netmask)}`, `is /${prefix}: the subnet must be /1../${max}`);
  const hostWhy = hostAddressProblem(client, prefix, family);
  if (hostWhy) bad(`client ${client}`, hostWhy);
  if (gwF!.startsWith('[') !== (family === 6))
    bad(`gateway ${JSON.stringify(gw)}`, `is not an IPv${family} address like the client`);
  // The gateway rule the plugin's nic config and the DHCP lease check use too (lib/unicast.ts).
  const gwWhy = family === 4 && !isIPv4(gw) ? 'is not an IPv4 address' : gatewayProblem(gw, client, prefix, family);
  if (gwWhy) bad(`gateway ${JSON.stringify(gw)}`, gwWhy);
  // A link-local IPv6 gateway is on the link by definition (RFC 4861); any other off-subnet one is not.
  const onlink = !gatewayOnLink(gw, client, prefix, family);
  if (onlink) warnings.push(`ip=: gateway ${gw} is outside ${client}/${prefix}: the default route is installed onlink`);
  if (!device) bad('device', 'is empty: name the NIC');
  try {
    parseLinkName('ip=', device);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    bad(`device ${JSON.stringify(device)}`, 'is not an interface name');
  }
  if (device === 'lo' || device === 'zos')
    bad(
      `device "${device}"`,
      device === 'lo' ? "cannot carry the node's network" : 'is the bridge the agent builds: name its NIC',
    );
  if (hostname && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(hostname))
    bad(`hostname ${JSON.stringify(hostname.slice(0, 40))}`, 'is not a host name');
  const [dns0, dns1, ntp0] = extra;
  const dns: string[] = [];
  for (const [name, raw] of [
    ['dns0', dns0],
    ['dns1', dns1],
    ['ntp0', ntp0],
  ] as const) {
    if (!raw) continue;
    const a = unbracket(raw);
    const why = isIPv4(a)
      ? notUnicastV4(a, { linkLocal: true })
      : raw.startsWith('[')
        ? notUnicastV6(a, { linkLocal: true })
        : 'is not an IPv4 (or bracketed IPv6) address';
    if (why) bad(`${name} ${JSON.stringify(a)}`, why);
    if (name !== 'ntp0') dns.push(a);
  }
  if (server) warnings.push(`ip=: server ${JSON.stringify(server.slice(0, 40))} is not used (no NFS root)`);
  if (ntp0) warnings.push(`ip=: ntp0 ${ntp0} is not used`);
  return {
    family,
    address: client,
    prefix,
    gateway: gw,
    device: device!,
    dns,
    ...(hostname ? { hostname } : {}),
    ...(onlink ? { onlink } : {}),
  };
}

/** Parses the kernel command line text; throws ValidationError naming the key on bad values. */
export function parseKernelCmdline(text: string): KernelOptions {
  const { params: p, warnings } = parseParams(text);
  const opts: KernelOptions = { debug: p.has('zos-debug'), warnings };
  for (const k of p.keys()) {
    if (/^(zos[.-]|vlan:)/.test(k) && !KERNEL_KEY_NAMES.includes(k)) {
      warnings.push(`unknown key ${JSON.stringify(k.slice(0, 40))} ignored (known: ${KERNEL_KEY_NAMES.join(', ')})`);
    }
  }
  const nic = p.get('zos.nic');
  if (nic !== undefined) {
    if (isMac(nic)) opts.pin = parseMac('zos.nic', nic);
    else {
      try {
        opts.pin = parseLinkName('zos.nic', nic);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        throw new ValidationError('zos.nic', `${JSON.stringify(nic)} is neither an interface name nor a MAC address`);
      }
      if (nic === 'lo' || nic === 'zos') throw new ValidationError('zos.nic', `"${nic}" cannot be the NIC under zos`);
    }
  }
  const priv = p.get('vlan:priv');
  const privId = priv === undefined ? undefined : parseVlanText('vlan:priv', priv);
  if (privId !== undefined) opts.vlanPriv = privId;
  const pub = p.get('vlan:pub');
  const pubId = pub === undefined ? undefined : parseVlanText('vlan:pub', pub);
  if (pubId !== undefined) opts.vlanPub = pubId;
  const ipv = p.get('ip');
  if (ipv !== undefined) {
    const st = parseIp(ipv, warnings);
    if (st) opts.static = st;
  }
  return opts;
}
