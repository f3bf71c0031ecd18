// Every environment setting of `internet`, in one table, read once at start (main.ts) and passed
// down (the resolv.conf path in CliOptions, the zinit wait to preflight). No other module of the
// agent reads process.env. A bad value exits 2 naming the variable and what it accepts.
import { setRtnlEnabled } from '../lib/rtnl-socket.ts';
import { intIn, RTNL_SETTING, readTable, settingsLines, text, type ValuesOf } from '../lib/settings-table.ts';
import { DEFAULT_PATH, setToolPath } from '../lib/tools.ts';

/** The table: what each variable does, accepts and defaults to (help text and docs come from it). */
export const SETTINGS = {
  resolvConf: {
    name: 'INTERNET_RESOLV_CONF',
    default: '/etc/resolv.conf',
    ...text('an absolute file path', (t) => t.startsWith('/') && !t.endsWith('/')),
    doc: 'where DNS servers go (tests point it at a scratch file)',
  },
  zinitWaitMs: {
    name: 'INTERNET_ZINIT_WAIT_MS',
    default: '30000',
    ...intIn(0, 600_000),
    doc: 'how long a missing or refusing zinit socket is waited for (zinit starts its units before it binds it)',
  },
  rtnl: RTNL_SETTING,
  path: {
    name: 'PATH',
    default: DEFAULT_PATH,
    ...text('a list of directories'),
    doc: 'where udhcpc (or busybox), ip and setpriv are looked for (ip and setpriv after their usual places)',
  },
} as const;

/** The agent's settings, validated. */
export type InternetSettings = ValuesOf<typeof SETTINGS>;

/** Reads and checks every setting of `env` (EINVALID naming the first bad one); changes nothing. */
export const parseSettings = (env: Readonly<Record<string, string | undefined>>): InternetSettings =>
  readTable(SETTINGS, env);

/**
 * The settings of this process's environment (the one place the agent reads process.env), handed to the lib modules
 * that take theirs once.
 */
export function processSettings(): InternetSettings {
  const s = parseSettings(process.env);
  setRtnlEnabled(s.rtnl);
  setToolPath(s.path);
  return s;
}

/** The help text's environment section. */
export const settingsHelp = (): string => ['Environment:', ...settingsLines(SETTINGS)].join('\n');
