// Kernel command line and CLI flags: parsed values, and errors that name the bad key or flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { kernelKeyForms, parseKernelCmdline, shellSplit, splitKernelCmdline } from '../../internet/cmdline.ts';
import { HELP, parseCli } from '../../internet/cli.ts';
import { parseSettings } from '../../internet/settings.ts';
import type { AppError } from '../../lib/errors.ts';

const names = (field: string, part?: RegExp) => (e: AppError) =>
  e.code === 'EINVALID' && e.message.startsWith(`${field}:`) && (!part || part.test(e.message));

test('shell-style split (zinit exec lines) keeps quoted spaces', () => {
  assert.deepEqual(shellSplit(`a b="c d" 'e f'  g\\ h`), ['a', 'b=c d', 'e f', 'g h']);
});

test('the kernel command line splits as the kernel splits it: double quotes group, others are plain', () => {
  assert.deepEqual(splitKernelCmdline(`a b="c d"  note=it's\tx\\ y\n`), {
    words: ['a', 'b=c d', "note=it's", 'x\\', 'y'],
    warnings: [],
  });
});

test('a stray quote in a key we do not read never stops us: our keys around it are read, a warning says why', () => {
  const variants = [
    `note=it's zos.nic=eth1`,
    `zos.nic=eth1 note=it's`,
    `a="unterminated zos.nic=eth1`,
    `zos.nic=eth1 a="x`,
    `msg=don't zos.nic=eth1 x=won't`,
    `x='a b' zos.nic=eth1`,
    `q=\\ zos.nic=eth1 t=\\`,
    `zos.nic="eth1"`,
    `zos.nic='eth1'`,
  ];
  for (const v of variants) {
    const o = parseKernelCmdline(`console=ttyS0 ${v} quiet\n`);
    assert.equal(o.pin, 'eth1', v);
  }
  const o = parseKernelCmdline('a="unterminated zos.nic=eth1 vlan:pub=20');
  assert.deepEqual([o.pin, o.vlanPub], ['eth1', 20]);
  assert.match(o.warnings.join('; '), /unterminated "/);
  assert.deepEqual(parseKernelCmdline(`note=it's`).warnings, []); // a quote inside a value is just a character
  assert.match(parseKernelCmdline('zos.nics=eth1').warnings.join(), /unknown key "zos.nics"/);
  // A stray quote in a key we read is that key's malformed value: exit 2 naming it.
  assert.throws(() => parseKernelCmdline(`zos.nic=eth1'`), names('zos.nic'));
  assert.throws(() => parseKernelCmdline(`vlan:priv="12`), names('vlan:priv', /12/));
  assert.throws(() => parseKernelCmdline(`zos.nic="eth1 a=b`), names('zos.nic'));
  assert.equal(parseKernelCmdline(`"zos.nic=eth1`).pin, undefined); // another word, not our key; no crash
});

test('Zero-OS keys: debug, pin, vlans, last value wins', () => {
  const o = parseKernelCmdline(
    'console=ttyS0 zos-debug zos.nic=eth1 vlan:priv=none vlan:priv=12 vlan:pub=untagged zos.nic=AA:BB:CC:DD:EE:FF\n',
  );
  assert.deepEqual(o, { debug: true, pin: 'aa:bb:cc:dd:ee:ff', vlanPriv: 12, warnings: [] });
  assert.deepEqual(parseKernelCmdline('quiet'), { debug: false, warnings: [] });
});

test('ip= static (nfsroot syntax) and ip=dhcp', () => {
  assert.deepEqual(parseKernelCmdline('ip=10.1.2.3::10.1.2.1:255.255.255.0:node1:eth1:off').static, {
    family: 4,
    address: '10.1.2.3',
    prefix: 24,
    gateway: '10.1.2.1',
    device: 'eth1',
    hostname: 'node1',
    dns: [],
  });
  assert.deepEqual(parseKernelCmdline('ip=10.1.2.3::10.1.2.1:255.255.0.0::eth1:none:1.1.1.1').static?.dns, ['1.1.1.1']);
  for (const v of ['dhcp', 'on', 'any', 'off', 'none', ''])
    assert.equal(parseKernelCmdline(`ip=${v}`).static, undefined);
  for (const v of ['bootp', 'rarp', 'dhcp6'])
    assert.throws(() => parseKernelCmdline(`ip=${v}`), names('ip=', /alone, only dhcp, on, any, off or none/), v);
});

test('malformed values name the key and the bad part', () => {
  assert.throws(() => parseKernelCmdline('vlan:priv=5000'), names('vlan:priv', /5000/));
  assert.throws(() => parseKernelCmdline('vlan:pub=abc'), names('vlan:pub', /abc/));
  assert.throws(() => parseKernelCmdline('zos.nic=way-too-long-a-name'), names('zos.nic'));
  assert.throws(
    () => parseKernelCmdline('ip=10.1.2.3::10.1.2.1:255.255.255.0::eth1:dhcp'),
    names('ip=', /autoconf "dhcp"/),
  );
  assert.throws(
    () => parseKernelCmdline('ip=10.1.2.300::10.1.2.1:255.255.255.0::eth1:off'),
    names('ip=', /client "10.1.2.300"/),
  );
  assert.throws(() => parseKernelCmdline('ip=10.1.2.3::10.1.2.1:255.0.255.0::eth1:off'), names('ip=', /netmask/));
  assert.throws(() => parseKernelCmdline('ip=10.1.2.3::10.1.2.1:255.255.255.0:::off'), names('ip=', /device/));
  assert.throws(
    () => parseKernelCmdline('ip=10.1.2.3::10.1.2.1'),
    names('ip=', /3 colon-separated fields, accepted are 7 to 10/),
  );
  assert.throws(
    () => parseKernelCmdline('ip=10.1.2.3::10.1.2.1:255.255.255.0::eth1:off:1.1.1.1:1.0.0.1:10.1.2.5:x'),
    names('ip=', /11 colon-separated fields, accepted are 7 to 10/),
  );
  assert.doesNotThrow(() => parseKernelCmdline('a="unterminated'));
});

test('ip=: the 10-field nfsroot form (ntp0) is taken, ntp0 not used', () => {
  const o = parseKernelCmdline(
    'ip=10.1.2.3:10.1.2.9:10.1.2.1:255.255.255.0:n1:eth1:off:10.1.2.53:10.1.2.54:10.1.2.123',
  );
  assert.deepEqual(o.static?.dns, ['10.1.2.53', '10.1.2.54']);
  assert.match(o.warnings.join('; '), /ntp0 10\.1\.2\.123 is not used/);
  assert.throws(
    () => parseKernelCmdline('ip=10.1.2.3::10.1.2.1:255.255.255.0:n1:eth1:off:::ntp'),
    names('ip=', /ntp0 "ntp"/),
  );
});

test('ip=: addresses that cannot work on a link are refused naming the field', () => {
  const ip = (client: string, gw: string, mask = '255.255.255.0') => `ip=${client}::${gw}:${mask}::eth1:off`;
  const cases: [string, RegExp][] = [
    [ip('0.0.0.0', '10.1.2.1'), /client "0\.0\.0\.0" is in 0\.0\.0\.0\/8/],
    [ip('0.1.2.3', '0.1.2.1'), /client "0\.1\.2\.3"/],
    [ip('10.1.2.1', '10.1.2.1'), /gateway "10\.1\.2\.1" is the host's own address/],
    [ip('10.1.2.3', '10.1.2.1', '0.0.0.0'), /netmask "0\.0\.0\.0" is \/0/],
    [ip('10.1.2.3', '10.1.2.1', '0'), /netmask "0" is \/0/],
    [ip('10.1.2.3', '10.1.2.1', '33'), /netmask "33" is \/33/],
    [ip('10.1.2.3', '10.1.2.1', '024'), /netmask "024" is not a prefix length: no leading zeros/],
    [ip('10.1.2.255', '10.1.2.1'), /client 10\.1\.2\.255 is the broadcast address of 10\.1\.2\.0\/24/],
    [ip('10.1.2.0', '10.1.2.1'), /client 10\.1\.2\.0 is the network address/],
    [ip('10.1.2.3', '10.1.2.255'), /gateway "10\.1\.2\.255" is the broadcast address/],
    [ip('10.1.2.3', '10.1.2.0'), /gateway "10\.1\.2\.0" is the network address/],
    [ip('127.0.0.5', '127.0.0.1'), /client "127\.0\.0\.5" is a loopback address/],
    [ip('224.0.0.5', '10.1.2.1'), /client "224\.0\.0\.5" is a multicast address/],
    [ip('169.254.3.4', '169.254.3.1', '255.255.0.0'), /client "169\.254\.3\.4" is a link-local address/],
    [ip('255.255.255.255', '10.1.2.1'), /client "255\.255\.255\.255" is the broadcast address/],
    [ip('240.1.2.3', '240.1.2.1'), /client "240\.1\.2\.3" is in the reserved range/],
    [ip('10.1.2.3', '127.0.0.1'), /gateway "127\.0\.0\.1" is a loopback address/],
    [ip('10.1.2.3', '224.0.0.1'), /gateway "224\.0\.0\.1" is a multicast address/],
    [ip('10.1.2.3', '0.0.0.0'), /gateway "0\.0\.0\.0"/],
    [ip('10.1.2.3', ''), /gateway "" is not an IPv4 address/],
    ['ip=10.1.2.3::10.1.2.1:255.255.255.0::lo:off', /device "lo" cannot carry/],
    ['ip=10.1.2.3::10.1.2.1:255.255.255.0::zos:off', /device "zos" is the bridge/],
    ['ip=10.1.2.3::10.1.2.1:255.255.255.0::eth1:off:0.0.0.0', /dns0 "0\.0\.0\.0"/],
    ['ip=10.1.2.3::10.1.2.1:255.255.255.0:bad_host!:eth1:off', /hostname "bad_host!"/],
  ];
  for (const [v, re] of cases) assert.throws(() => parseKernelCmdline(v), names('ip=', re), v);
  // /31 (RFC 3021) and /32 have no network or broadcast address to refuse.
  assert.equal(parseKernelCmdline(ip('10.1.2.0', '10.1.2.1', '255.255.255.254')).static?.prefix, 31);
});

test('ip=: a gateway outside the subnet is accepted with onlink, and a warning says so', () => {
  const o = parseKernelCmdline('ip=10.1.2.3::10.9.9.1:255.255.255.0::eth1:off');
  assert.equal(o.static?.onlink, true);
  assert.match(
    o.warnings.join(),
    /gateway 10\.9\.9\.1 is outside 10\.1\.2\.3\/24: the default route is installed onlink/,
  );
  assert.equal(parseKernelCmdline('ip=10.1.2.3::10.1.2.1:255.255.255.0::eth1:off').static?.onlink, undefined);
  assert.equal(parseKernelCmdline('ip=203.0.113.7::203.0.113.1:32::eth1:off').static?.onlink, true);
});

test('ip=: IPv6 in brackets (dracut form); unbracketed IPv6 is named as such', () => {
  const o = parseKernelCmdline('ip=[2001:db8::2]::[2001:db8::1]:64:host:eth0:off:[2001:db8::53]');
  assert.deepEqual(o.static, {
    family: 6,
    address: '2001:db8::2',
    prefix: 64,
    gateway: '2001:db8::1',
    device: 'eth0',
    hostname: 'host',
    dns: ['2001:db8::53'],
  });
  assert.equal(parseKernelCmdline('ip=[2001:db8::2]::[fe80::1]:64::eth0:off').static?.onlink, undefined);
  assert.equal(parseKernelCmdline('ip=[2001:db8::2]::[2001:db9::1]:64::eth0:off').static?.onlink, true);
  const bad: [string, RegExp][] = [
    ['ip=2001:db8::2::2001:db8::1:64:host:eth0:off', /unbracketed IPv6 address: write IPv6 addresses in brackets/],
    ['ip=[2001:db8::2::[2001:db8::1]:64::eth0:off', /unbalanced/],
    ['ip=[2001:db8::2]::10.1.2.1:64::eth0:off', /gateway "10\.1\.2\.1" is not an IPv6 address like the client/],
    [
      'ip=[2001:db8::2]::[2001:db8::1]:255.255.255.0::eth0:off',
      /netmask "255\.255\.255\.0" is not an IPv6 prefix length/,
    ],
    ['ip=[2001:db8::2]::[2001:db8::1]:129::eth0:off', /\/129/],
    ['ip=[::1]::[fe80::1]:64::eth0:off', /client "::1" is the loopback/],
    ['ip=[fe80::2]::[fe80::1]:64::eth0:off', /client "fe80::2" is a link-local/],
    ['ip=[ff02::2]::[fe80::1]:64::eth0:off', /multicast/],
    ['ip=[2001:db8::]::[fe80::1]:64::eth0:off', /subnet-router anycast/],
    ['ip=[2001:db8::2]::[2001:db8::2]:64::eth0:off', /the host's own address/],
    ['ip=[2001:db8::2]::[::]:64::eth0:off', /gateway "::" is the unspecified/],
    ['ip=[2001:db8::2]::[fe80::1%eth0]:64::eth0:off', /gateway "fe80::1%eth0" has a zone index/],
    ['ip=[::ffff:10.1.2.3]::[fe80::1]:64::eth0:off', /IPv4-mapped/],
  ];
  for (const [v, re] of bad) assert.throws(() => parseKernelCmdline(v), names('ip=', re), v);
});

test('CLI: defaults, flags, status subcommand', () => {
  const d = parseCli([], parseSettings({}));
  assert.deepEqual(d, {
    command: 'run',
    cmdline: '/proc/cmdline',
    zinitSocket: '/var/run/zinit.sock',
    zinitDir: '/etc/zinit',
    status: '/run/internet/status.json',
    resolvConf: '/etc/resolv.conf',
  });
  const r = parseCli(
    ['run', '--nics', 'eth1,eth2', '--cmdline=/tmp/c', '--zinit-socket', '/s', '--zinit-dir', '/d', '--status', '/st'],
    parseSettings({ INTERNET_RESOLV_CONF: '/tmp/r' }),
  );
  assert.deepEqual(r, {
    command: 'run',
    nics: ['eth1', 'eth2'],
    cmdline: '/tmp/c',
    zinitSocket: '/s',
    zinitDir: '/d',
    status: '/st',
    resolvConf: '/tmp/r',
  });
  assert.equal(parseCli(['status', '--status', '/x'], parseSettings({})).status, '/x');
});

test('CLI errors name the flag', () => {
  assert.throws(() => parseCli(['--bogus'], parseSettings({})), names('--bogus', /unknown flag/));
  assert.throws(() => parseCli(['--nics'], parseSettings({})), names('--nics', /needs a value/));
  assert.throws(() => parseCli(['--status', '--nics', 'a'], parseSettings({})), names('--status', /needs a value/));
  assert.throws(() => parseCli(['--nics', 'eth0,bad name'], parseSettings({})), names('--nics', /bad name/));
  assert.throws(
    () => parseCli(['status', '--nics', 'a'], parseSettings({})),
    names('--nics', /unknown flag for "status"/),
  );
  assert.throws(() => parseCli(['stray'], parseSettings({})), names('stray', /unexpected argument/));
});

test('CLI: help, --help and -h (anywhere) ask for the usage', () => {
  for (const argv of [['help'], ['--help'], ['-h'], ['run', '--nics', 'eth1', '--help'], ['status', '-h']]) {
    assert.equal(parseCli(argv, parseSettings({})).command, 'help', argv.join(' '));
  }
  for (const part of ['--nics', '--status', 'zos.nic=', 'vlan:priv=', 'ip=', 'Exit codes', '143'])
    assert.ok(HELP.includes(part), part);
});

test('kernel keys: help and README list every form of every key the parser reads, and no other', async () => {
  const forms = kernelKeyForms();
  for (const f of forms) assert.ok(HELP.includes(`  ${f.key}`) && HELP.includes(f.meaning), `help: ${f.key}`);
  const readme = await readFile('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('### Kernel command line'));
  const lines = section.slice(section.indexOf('| key | meaning |')).split('\n').slice(2);
  const rows = lines.slice(
    0,
    lines.findIndex((l) => !l.startsWith('|')),
  );
  const keys = rows.map((l) => /^\| `([^`]+)` \|/.exec(l)?.[1]?.replaceAll('\\|', '|'));
  assert.deepEqual(
    keys,
    forms.map((f) => f.key),
    'README "Kernel command line" key column',
  );
  assert.match(
    parseKernelCmdline('zos.nics=eth1').warnings.join(),
    /known: zos-debug, zos\.nic, vlan:priv, vlan:pub, ip\)/,
  );
});
