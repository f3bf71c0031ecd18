// Every environment setting of `ovs-plugin`, in one table, read once at start (main.ts) and
// passed down: the transports take what they need, the nic code gets `NicSettings` in its
// command context. No other module of the plugin reads process.env. A bad value: `serve` logs
// the variable and its accepted range and exits 2; exec answers EINVALID naming it, exit 1.
import { setRtnlEnabled } from '../lib/rtnl-socket.ts';
import {
  intIn,
  RTNL_SETTING,
  oneOf,
  readTable,
  settingsLines,
  text,
  type Setting,
  type ValuesOf,
} from '../lib/settings-table.ts';
import { setToolPath } from '../lib/tools.ts';
import { setFailpoints } from './nics/failpoint.ts';
import { parseNatPool, type Pool } from './nics/nat.ts';
import { parseOvsdbUrl } from './ovsdb/connection.ts';
import type { Env, VlanLayout } from './planners/plan.ts';

const ok = <T>(f: () => T): T | undefined => {
  try {
    return f();
  } catch {
    return undefined;
  }
};

/** The table: what each variable does, accepts and defaults to (help text and docs come from it). */
export const SETTINGS = {
  db: {
    name: 'OVS_DB',
    default: 'unix:/var/run/openvswitch/db.sock',
    ...text('unix:PATH or tcp:HOST:PORT', (t) => !!ok(() => parseOvsdbUrl(t))),
    doc: 'the OVSDB server (serve --db overrides)',
  },
  datapathType: {
    name: 'OVS_DATAPATH',
    default: 'system',
    ...text('1..16 lowercase letters (system, netdev)', (t) => /^[a-z]{1,16}$/.test(t)),
    doc: 'datapath_type of the bridges we create; netdev where there is no OVS kernel module',
  },
  applyTimeoutMs: {
    name: 'OVS_TIMEOUT',
    default: '10000',
    ...intIn(1, 3_600_000),
    doc:
      'how long to wait for ovs-vswitchd to apply a change (as ovs-vsctl --timeout), ' +
      'and the daemon for its first OVSDB connection',
  },
  idleTimeoutMs: {
    name: 'OVS_IDLE_TIMEOUT',
    default: '120000',
    ...intIn(1, 86_400_000),
    doc: 'how long a daemon connection may stay quiet with nothing in flight (EIDLE)',
  },
  vlanLayout: {
    name: 'OVS_VLAN_LAYOUT',
    default: 'fake',
    ...oneOf<VlanLayout>(['fake', 'patch']),
    doc: "how vlan-ensure makes a new VLAN: a fake bridge, or v1's bridge per VLAN with a patch pair",
  },
  statePath: {
    name: 'OVS_PLUGIN_STATE',
    default: '/run/ovs-plugin/nics.json',
    ...text('an absolute file path', (t) => t.startsWith('/') && !t.endsWith('/')),
    doc: 'the nic state file (its lock, .prev, .nat and DHCP files go beside it)',
  },
  gcMs: {
    name: 'OVS_PLUGIN_GC_MS',
    default: '60000',
    ...intIn(0, 86_400_000),
    doc: 'how often the daemon runs nic gc after its start (0: only at start)',
  },
  dhcpWaitMs: {
    name: 'OVS_PLUGIN_DHCP_WAIT_MS',
    default: '10000',
    ...intIn(0, 600_000),
    doc: 'how long nic.attach with config.dhcp waits for the first lease',
  },
  portUpMs: {
    name: 'OVS_PLUGIN_PORT_UP_MS',
    default: '10000',
    ...intIn(1, 600_000),
    doc: 'how long nic.attach of a fleet nic waits for ovn-controller to install its logical port',
  },
  natPool: {
    name: 'OVS_PLUGIN_NAT_POOL',
    default: '172.18.0.0/16',
    accepts: 'an IPv4 network /8 .. /30',
    parse: (t: string) => ok(() => parseNatPool(t)),
    doc: "the addresses of default nics; its first one is nat0's",
  } satisfies Setting<Pool>,
  zerotierOne: {
    name: 'ZEROTIER_ONE',
    default: '',
    ...text('unset, or an absolute file path', (t) => t === '' || (t.startsWith('/') && !t.endsWith('/'))),
    doc: 'zerotier-one for zerotier nics (unset: found on PATH; none: zerotier nics are refused, EUNSUPPORTED)',
  },
  zerotierPlanet: {
    name: 'ZEROTIER_PLANET',
    default: '',
    ...text('unset, or an absolute file path', (t) => t === '' || (t.startsWith('/') && !t.endsWith('/'))),
    doc: "a planet file given to each zerotier nic's member (private roots; unset: ZeroTier's own)",
  },
  trace: {
    name: 'OVS_PLUGIN_TRACE',
    default: '',
    accepts: 'unset, 0 or 1',
    parse: (t: string) => (t === '' || t === '0' ? false : t === '1' ? true : undefined),
    doc: '1: print each nic step with its time (ms) to stderr',
  } satisfies Setting<boolean>,
  failpoint: {
    name: 'OVS_PLUGIN_FAILPOINT',
    default: '',
    ...text(
      'a comma-separated list of: a step name (attach:veth, ...), throw:<step>, undo:<label prefix>, write:N:ERRNO',
      (t) =>
        t.length <= 256 &&
        t
          .split(',')
          .filter(Boolean)
          .every(
            (p) =>
              /^(throw:)?[a-z0-9:_-]{1,64}$/.test(p) ||
              /^undo:[A-Za-z0-9 :_.-]{1,64}$/.test(p) ||
              /^write:\d{1,6}:E[A-Z]{1,16}$/.test(p),
          ),
    ),
    doc: 'tests: SIGKILL the process at a step, throw there, fail the undos so named, or fail its Nth state write',
  },
  rtnl: RTNL_SETTING,
  path: {
    name: 'PATH',
    default: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    ...text('a list of directories'),
    doc: "where iproute2's ip is looked for (after its usual places)",
  },
} as const;

/** The plugin's settings, validated. */
export type Settings = ValuesOf<typeof SETTINGS>;

/** What the nic code needs of the settings (in Ctx.nics). */
export type { NicSettings } from './nics/types.ts';

/**
 * Reads and checks every setting of `env` (EINVALID naming the first bad one) and configures the lib modules that take
 * theirs once.
 */
export function readSettings(env: Readonly<Record<string, string | undefined>>): Settings {
  const s = readTable(SETTINGS, env);
  setRtnlEnabled(s.rtnl);
  setToolPath(s.path);
  setFailpoints({ trace: s.trace, failpoint: s.failpoint });
  return s;
}

/** The settings of this process's environment (the one place the plugin reads process.env). */
export const processSettings = (): Settings => readSettings(process.env);

/** The settings planners and commands read (datapath, VLAN layout). */
export const envOf = (s: Settings): Env => ({ datapathType: s.datapathType, vlanLayout: s.vlanLayout });

/** The help text's environment section. */
export const settingsHelp = (): string[] => ['environment:', ...settingsLines(SETTINGS)];
