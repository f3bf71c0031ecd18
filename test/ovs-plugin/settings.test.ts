// ovs-plugin's settings table: every variable with a good, a bad and an edge value; unset and
// empty take the default; the error names the variable and what it accepts; --help and the docs
// list every row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { readSettings, SETTINGS } from '../../ovs-plugin/settings.ts';
import { usage } from '../../ovs-plugin/transports/help.ts';
import { setRtnlEnabled } from '../../lib/rtnl-socket.ts';
import { DEFAULT_PATH, setToolPath } from '../../lib/tools.ts';
import { setFailpoints } from '../../ovs-plugin/nics/failpoint.ts';

type Key = keyof typeof SETTINGS;
/** Per setting: [value, what it reads as] that are accepted, and values that are refused. */
const CASES: { [K in Key]: { good: [string, unknown][]; bad: string[] } } = {
  db: {
    good: [
      ['unix:/tmp/db.sock', 'unix:/tmp/db.sock'],
      ['tcp:127.0.0.1:6640', 'tcp:127.0.0.1:6640'],
      ['tcp:[::1]:65535', 'tcp:[::1]:65535'],
    ],
    bad: ['/tmp/db.sock', 'unix:', 'tcp:h:0', 'tcp:h:70000', 'ssl:h:1'],
  },
  datapathType: {
    good: [
      ['netdev', 'netdev'],
      ['system', 'system'],
      ['a'.repeat(16), 'a'.repeat(16)],
    ],
    bad: ['a'.repeat(17), 'Netdev', 'net dev'],
  },
  applyTimeoutMs: {
    good: [
      ['1', 1],
      ['300', 300],
      ['3600000', 3_600_000],
    ],
    bad: ['0', '3600001', '60s', '1e3', '-1', '1.5', ' 5'],
  },
  idleTimeoutMs: {
    good: [
      ['1', 1],
      ['300', 300],
      ['86400000', 86_400_000],
    ],
    bad: ['0', '86400001', '2m', 'NaN'],
  },
  vlanLayout: {
    good: [
      ['fake', 'fake'],
      ['patch', 'patch'],
    ],
    bad: ['Patch', 'bridge'],
  },
  statePath: {
    good: [['/tmp/x/nics.json', '/tmp/x/nics.json']],
    bad: ['nics.json', './nics.json', '/tmp/x/', '/tmp/a\nb'],
  },
  gcMs: {
    good: [
      ['0', 0],
      ['1', 1],
      ['86400000', 86_400_000],
    ],
    bad: ['60s', '-1', '86400001', 'abc', '0x10'],
  },
  portUpMs: {
    good: [
      ['1', 1],
      ['600000', 600_000],
    ],
    bad: ['0', '600001', '5s'],
  },
  dhcpWaitMs: {
    good: [
      ['0', 0],
      ['800', 800],
      ['600000', 600_000],
    ],
    bad: ['abc', '600001', '10s', '-5'],
  },
  natPool: {
    good: [
      ['10.97.0.0/30', { base: 10 * 2 ** 24 + 97 * 2 ** 16, prefix: 30, gateway: '10.97.0.1' }],
      ['10.0.0.0/8', { base: 10 * 2 ** 24, prefix: 8, gateway: '10.0.0.1' }],
      ['172.18.3.4/16', { base: 172 * 2 ** 24 + 18 * 2 ** 16, prefix: 16, gateway: '172.18.0.1' }],
    ],
    bad: ['10.0.0.0/7', '10.0.0.0/31', 'fd00::/64', 'pool'],
  },
  trace: {
    good: [
      ['1', true],
      ['0', false],
    ],
    bad: ['yes', '2', 'true'],
  },
  failpoint: {
    good: [
      ['attach:veth', 'attach:veth'],
      ['write:2:ENOSPC', 'write:2:ENOSPC'],
    ],
    bad: ['write:x:ENOSPC', 'a b', 'x'.repeat(65)],
  },
  rtnl: {
    good: [
      ['0', false],
      ['1', true],
    ],
    bad: ['no', 'false', '2'],
  },
  path: { good: [['/bin:/usr/bin', '/bin:/usr/bin']], bad: ['/bin\n/usr/bin'] },
  zerotierOne: { good: [['/opt/zt/zerotier-one', '/opt/zt/zerotier-one']], bad: ['zerotier-one', '/opt/zt/'] },
  zerotierPlanet: { good: [['/etc/zt/planet', '/etc/zt/planet']], bad: ['planet', '/etc/zt/', '/a\nb'] },
};

test('settings: every row of the table has its cases here', () => {
  assert.deepEqual(Object.keys(CASES).sort(), Object.keys(SETTINGS).sort());
});

test('settings: unset or empty -> the default; the result is frozen', (t) => {
  t.after(() => {
    setRtnlEnabled(true);
    setToolPath(DEFAULT_PATH);
    setFailpoints({ trace: false, failpoint: '' });
  });
  const d = readSettings({});
  assert.deepEqual(readSettings(Object.fromEntries(Object.values(SETTINGS).map((s) => [s.name, '']))), d);
  assert.equal(d.db, 'unix:/var/run/openvswitch/db.sock');
  assert.equal(d.datapathType, 'system');
  assert.equal(d.applyTimeoutMs, 10_000);
  assert.equal(d.idleTimeoutMs, 120_000);
  assert.equal(d.vlanLayout, 'fake');
  assert.equal(d.statePath, '/run/ovs-plugin/nics.json');
  assert.equal(d.gcMs, 60_000);
  assert.equal(d.dhcpWaitMs, 10_000);
  assert.equal(d.portUpMs, 10_000);
  assert.deepEqual(d.natPool, { base: 172 * 2 ** 24 + 18 * 2 ** 16, prefix: 16, gateway: '172.18.0.1' });
  assert.equal(d.trace, false);
  assert.equal(d.failpoint, '');
  assert.equal(d.rtnl, true);
  assert.equal(d.path, DEFAULT_PATH);
  assert.equal(d.zerotierOne, '');
  assert.equal(d.zerotierPlanet, '');
  assert.ok(Object.isFrozen(d));
});

for (const [key, c] of Object.entries(CASES) as [Key, (typeof CASES)[Key]][]) {
  const name = SETTINGS[key].name;
  test(`settings: ${name} good, edge and bad values`, (t) => {
    t.after(() => {
      setRtnlEnabled(true);
      setToolPath(DEFAULT_PATH);
      setFailpoints({ trace: false, failpoint: '' });
    });
    for (const [v, want] of c.good) assert.deepEqual(readSettings({ [name]: v })[key], want, `${name}=${v}`);
    for (const v of c.bad) {
      assert.throws(
        () => readSettings({ [name]: v }),
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

test('settings: --help and the docs list every variable', async () => {
  const help = usage([]);
  const docs = (await readFile('README.md', 'utf8')) + (await readFile('docs/ovs-plugin.md', 'utf8'));
  for (const s of Object.values(SETTINGS)) {
    assert.ok(help.includes(`${s.name} (${s.accepts}`), `help: ${s.name}`);
    assert.ok(
      docs.includes(`| \`${s.name}\` | ${s.default === '' ? 'unset' : `\`${s.default}\``} | ${s.accepts} | ${s.doc} |`),
      `docs/ovs-plugin.md settings table: ${s.name}`,
    );
  }
});
