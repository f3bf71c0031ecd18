// internet's settings table: every variable with a good, a bad and an edge value; unset and
// empty take the default; the error names the variable and what it accepts; `internet help`
// and the README list every row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { HELP } from '../../internet/cli.ts';
import { parseSettings, SETTINGS } from '../../internet/settings.ts';
import { DEFAULT_PATH } from '../../lib/tools.ts';

type Key = keyof typeof SETTINGS;
/** Per setting: [value, what it reads as] that are accepted, and values that are refused. */
const CASES: { [K in Key]: { good: [string, unknown][]; bad: string[] } } = {
  resolvConf: {
    good: [
      ['/tmp/r', '/tmp/r'],
      ['/etc/resolv.conf', '/etc/resolv.conf'],
    ],
    bad: ['resolv.conf', '/tmp/', '/tmp/a\nb'],
  },
  zinitWaitMs: {
    good: [
      ['0', 0],
      ['800', 800],
      ['600000', 600_000],
    ],
    bad: ['soon', '600001', '30s', '-1', '1e3'],
  },
  rtnl: {
    good: [
      ['0', false],
      ['1', true],
    ],
    bad: ['off', 'false', '2'],
  },
  path: { good: [['/bin:/usr/bin', '/bin:/usr/bin']], bad: ['/bin\t/usr/bin'] },
};

test('settings: every row of the table has its cases here', () => {
  assert.deepEqual(Object.keys(CASES).sort(), Object.keys(SETTINGS).sort());
});

test('settings: unset or empty -> the default; the result is frozen', () => {
  const d = parseSettings({});
  assert.deepEqual(d, { resolvConf: '/etc/resolv.conf', zinitWaitMs: 30_000, rtnl: true, path: DEFAULT_PATH });
  assert.deepEqual(parseSettings(Object.fromEntries(Object.values(SETTINGS).map((s) => [s.name, '']))), d);
  assert.ok(Object.isFrozen(d));
});

for (const [key, c] of Object.entries(CASES) as [Key, (typeof CASES)[Key]][]) {
  const name = SETTINGS[key].name;
  test(`settings: ${name} good, edge and bad values`, () => {
    for (const [v, want] of c.good) assert.deepEqual(parseSettings({ [name]: v })[key], want, `${name}=${v}`);
    for (const v of c.bad) {
      assert.throws(
        () => parseSettings({ [name]: v }),
        (e: Error & { code?: string; field?: string }) =>
          e.code === 'EINVALID' &&
          e.field === name &&
          e.message.startsWith(`${name}: `) &&
          e.message.includes(SETTINGS[key].accepts),
        `${name}=${JSON.stringify(v)}`,
      );
    }
  });
}

test('settings: `internet help` and the README list every variable', async () => {
  const readme = await readFile('README.md', 'utf8');
  for (const s of Object.values(SETTINGS)) {
    assert.ok(HELP.includes(`${s.name} (${s.accepts}`), `help: ${s.name}`);
    assert.ok(
      readme.includes(`| \`${s.name}\` | \`${s.default}\` | ${s.accepts} | ${s.doc} |`),
      `README environment table: ${s.name}`,
    );
  }
});
