// The state file's shape, checked whole on every read: a record that lacks a field gc and detach
// rely on (a link name, the owner, the phase) must stop every command with ESTATE naming the
// file, the record and the field, never reach the code that deletes links as an EINTERNAL.
import { stateError } from './errors.ts';
import { KINDS, type Kind, type KindFields, type NicState } from './types.ts';

type Check = (v: unknown) => boolean;

const str: Check = (v) => typeof v === 'string' && v !== '';
const int: Check = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const ident: Check = (v) => obj(v) && int(v.dev) && int(v.ino);
const proc: Check = (v) => obj(v) && int(v.pid) && typeof v.start === 'string';
const target: Check = (v) => obj(v) && (str(v.netns) || int(v.pid) || str(v.kvm));
const nic: Check = (v) => obj(v) && (KINDS as readonly unknown[]).includes(v.type);
const strings: Check = (v) => Array.isArray(v) && v.every((x) => typeof x === 'string');
const opt =
  (c: Check): Check =>
  (v) =>
    v === undefined || c(v);

/** What passthrough saves: the NIC's name and MAC at least. */
const saved: Check = (v) => obj(v) && str(v.name) && typeof v.mac === 'string';

/** The fields of a record and what each must be (required unless wrapped in opt). */
const RECORD: Record<string, Check> = {
  key: str,
  target,
  ns: ident,
  name: str,
  nic,
  owner: proc,
  temp: str,
  hwaddr: str,
  at: str,
  phase: (v) => v === 'attaching' || v === 'attached' || v === 'detaching' || v === 'repairing',
  host: str,
  mtu: opt(int),
  bridge: opt(str),
  tag: opt(int),
  vni: opt(int),
  txOff: opt((v) => typeof v === 'boolean'),
  parent: opt(str),
  saved: opt(saved),
  dnsAdded: opt(strings),
  dhcp: opt((v) => obj(v) && str(v.pidfile) && str(v.script) && str(v.resolv)),
  address: opt(str),
  gateway: opt(str),
  lport: opt(str),
  chassis: opt(str),
  result: opt(obj),
  vm: opt(proc),
  zt: opt(obj),
  check: opt(obj),
  error: opt((v) => typeof v === 'string'),
};

/** The fields each kind requires besides (types.ts KindFields; every kind has its entry). */
const KIND_RECORD: { [K in Kind]: Record<keyof KindFields[K], Check> } = {
  default: { bridge: str, address: str, gateway: str },
  bridge: { bridge: str },
  vlan: { bridge: str, tag: int },
  vxlan: { bridge: str, vni: int },
  macvlan: { parent: str },
  passthrough: { saved },
  network: { bridge: str, address: str, gateway: opt(str) },
  zerotier: {
    zt: (v) => obj(v) && str(v.home) && int(v.port) && typeof v.node === 'string' && /^[0-9a-f]{10}$/.test(v.node),
  },
  fleet: { bridge: str, lport: str, chassis: str },
};

/** The first problem of state `v` read from `path` ("record 2 (key k): field host ..."), or undefined. */
function problemOf(v: unknown): string | undefined {
  if (!obj(v) || v.version !== 1 || !Array.isArray(v.nics)) return 'is not a version 1 nic state';
  if (v.host !== undefined && !ident(v.host)) return 'has a bad "host"';
  const keys = new Set<string>();
  for (const [i, r] of v.nics.entries()) {
    if (!obj(r)) return `record ${i} is not an object`;
    const at = `record ${i}${typeof r.key === 'string' ? ` (${r.key})` : ''}`;
    const kind: Record<string, Check> =
      obj(r.nic) && Object.hasOwn(KIND_RECORD, r.nic.type as string) ? KIND_RECORD[r.nic.type as Kind] : {};
    for (const [field, ok] of [...Object.entries(RECORD), ...Object.entries(kind)])
      if (!ok(r[field]))
        return (
          `${at}: field "${field}" is ` +
          (r[field] === undefined ? 'missing' : `not valid (${JSON.stringify(r[field]).slice(0, 60)})`)
        );
    if (keys.has(r.key as string)) return `${at}: key appears twice`;
    keys.add(r.key as string);
  }
  return undefined;
}

/** `v` as a NicState; ESTATE naming `path` and the first bad record and field otherwise. */
export function checkState(path: string, v: unknown, hint: string): NicState {
  const p = problemOf(v);
  if (p) throw stateError(`${path} ${p.startsWith('record') ? `is damaged: ${p}` : p}; ${hint}`, { path });
  return v as NicState;
}
