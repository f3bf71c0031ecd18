// Kernel command line and CLI flags: parsed values, and errors that name the bad key or flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKernelCmdline, shellSplit } from '../../internet/cmdline.ts';
import { parseCli } from '../../internet/cli.ts';
import type { AppError } from '../../lib/errors.ts';

const names = (field: string, part?: RegExp) => (e: AppError) =>
  e.code === 'EINVALID' && e.message.startsWith(`${field}:`) && (!part || part.test(e.message));

test('shell-style split keeps quoted spaces', () => {
  assert.deepEqual(shellSplit(`a b="c d" 'e f'  g\\ h`), ['a', 'b=c d', 'e f', 'g h']);
});

test('Zero-OS keys: debug, pin, vlans, last value wins', () => {
  const o = parseKernelCmdline('console=ttyS0 zos-debug zos.nic=eth1 vlan:priv=none vlan:priv=12 vlan:pub=untagged zos.nic=AA:BB:CC:DD:EE:FF\n');
  assert.deepEqual(o, { debug: true, pin: 'aa:bb:cc:dd:ee:ff', vlanPriv: 12 });
  assert.deepEqual(parseKernelCmdline('quiet'), { debug: false });
});

test('ip= static (nfsroot syntax) and ip=dhcp', () => {
  assert.deepEqual(parseKernelCmdline('ip=10.1.2.3::10.1.2.1:255.255.255.0:node1:eth1:off').static,
    { address: '10.1.2.3', prefix: 24, gateway: '10.1.2.1', device: 'eth1', hostname: 'node1', dns: [] });
  assert.deepEqual(parseKernelCmdline('ip=10.1.2.3::10.1.2.1:255.255.0.0::eth1:none:1.1.1.1').static?.dns, ['1.1.1.1']);
  for (const v of ['dhcp', 'on', 'any']) assert.equal(parseKernelCmdline(`ip=${v}`).static, undefined);
});

test('malformed values name the key and the bad part', () => {
  assert.throws(() => parseKernelCmdline('vlan:priv=5000'), names('vlan:priv', /5000/));
  assert.throws(() => parseKernelCmdline('vlan:pub=abc'), names('vlan:pub', /abc/));
  assert.throws(() => parseKernelCmdline('zos.nic=way-too-long-a-name'), names('zos.nic'));
  assert.throws(() => parseKernelCmdline('ip=10.1.2.3::10.1.2.1:255.255.255.0::eth1:dhcp'), names('ip=', /autoconf "dhcp"/));
  assert.throws(() => parseKernelCmdline('ip=10.1.2.300::10.1.2.1:255.255.255.0::eth1:off'), names('ip=', /client "10.1.2.300"/));
  assert.throws(() => parseKernelCmdline('ip=10.1.2.3::10.1.2.1:255.0.255.0::eth1:off'), names('ip=', /netmask/));
  assert.throws(() => parseKernelCmdline('ip=10.1.2.3::10.1.2.1:255.255.255.0:::off'), names('ip=', /device/));
  assert.throws(() => parseKernelCmdline('ip=bootp'), names('ip=', /fields/));
  assert.throws(() => parseKernelCmdline('a="unterminated'), names('cmdline', /quote/));
});

test('CLI: defaults, flags, status subcommand', () => {
  const d = parseCli([], {});
  assert.deepEqual(d, { command: 'run', cmdline: '/proc/cmdline', zinitSocket: '/var/run/zinit.sock', zinitDir: '/etc/zinit', status: '/run/internet/status.json', resolvConf: '/etc/resolv.conf' });
  const r = parseCli(['run', '--nics', 'eth1,eth2', '--cmdline=/tmp/c', '--zinit-socket', '/s', '--zinit-dir', '/d', '--status', '/st'], { INTERNET_RESOLV_CONF: '/tmp/r' });
  assert.deepEqual(r, { command: 'run', nics: ['eth1', 'eth2'], cmdline: '/tmp/c', zinitSocket: '/s', zinitDir: '/d', status: '/st', resolvConf: '/tmp/r' });
  assert.equal(parseCli(['status', '--status', '/x']).status, '/x');
});

test('CLI errors name the flag', () => {
  assert.throws(() => parseCli(['--bogus']), names('--bogus', /unknown flag/));
  assert.throws(() => parseCli(['--nics']), names('--nics', /needs a value/));
  assert.throws(() => parseCli(['--status', '--nics', 'a']), names('--status', /needs a value/));
  assert.throws(() => parseCli(['--nics', 'eth0,bad name']), names('--nics', /bad name/));
  assert.throws(() => parseCli(['status', '--nics', 'a']), names('--nics', /unknown flag for "status"/));
  assert.throws(() => parseCli(['stray']), names('stray', /unexpected argument/));
});
