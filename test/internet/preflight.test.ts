// The links the input names, checked before anything changes (preflight.ts checkLinks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLinks } from '../../internet/preflight.ts';
import { parseKernelCmdline } from '../../internet/cmdline.ts';
import type { AppError } from '../../lib/errors.ts';
import type { IpLink } from '../../lib/ip.ts';

const link = (ifname: string, address: string): IpLink => ({
  ifindex: 2,
  ifname,
  flags: [],
  mtu: 1500,
  operstate: 'UP',
  link_type: 'ether',
  address,
  linkinfo: { info_kind: 'veth' },
});
const links = [link('eth1', '02:00:00:00:00:01'), link('eth2', '02:00:00:00:00:02'), link('eth3', '02:00:00:00:00:03')];
const ip = (dev: string) => `ip=10.1.2.3::10.1.2.1:255.255.255.0::${dev}:off`;
const refuses = (nics: string[] | undefined, cmdline: string, field: string, re: RegExp) =>
  assert.throws(
    () => checkLinks({ nics }, parseKernelCmdline(cmdline), links),
    (e: AppError) => e.details.field === field && re.test(e.message),
    cmdline,
  );

test('zos.nic must name a link (among --nics), by name or MAC', () => {
  assert.doesNotThrow(() =>
    checkLinks({ nics: ['eth1', 'eth2'] }, parseKernelCmdline('zos.nic=02:00:00:00:00:02'), links),
  );
  refuses(['eth1', 'eth2'], 'zos.nic=eth3', 'zos.nic', /matches no candidate/);
  refuses(['eth1', 'eth2'], 'zos.nic=02:00:00:00:00:09', 'zos.nic', /matches no candidate/);
});

test(
  'without --nics, ' +
    'a zos.nic or ip= device that matches no link yet is waited for (a driver still probing), with a warning',
  () => {
    assert.deepEqual(checkLinks({}, parseKernelCmdline('zos.nic=eth9'), links), [
      'zos.nic: no link is "eth9" yet: waiting for it',
    ]);
    assert.deepEqual(checkLinks({}, parseKernelCmdline('zos.nic=02:00:00:00:00:09'), links), [
      'zos.nic: no link is "02:00:00:00:00:09" yet: waiting for it',
    ]);
    assert.deepEqual(checkLinks({}, parseKernelCmdline(ip('eth9')), links), [
      'ip=: device "eth9" does not exist yet: waiting for it',
    ]);
    assert.deepEqual(checkLinks({}, parseKernelCmdline(`zos.nic=02:00:00:00:00:09 ${ip('eth9')}`), links).length, 1);
    // What can never serve is still refused: a contradiction, a link that is there and no candidate.
    refuses(undefined, `zos.nic=eth8 ${ip('eth9')}`, 'ip=', /device "eth9" contradicts zos.nic=eth8/);
    assert.deepEqual(checkLinks({}, parseKernelCmdline('zos.nic=eth1'), links), []);
  },
);

test('the ip= device exists, is among --nics, and is the pinned NIC when both are given', () => {
  assert.doesNotThrow(() =>
    checkLinks({ nics: ['eth1'] }, parseKernelCmdline(`zos.nic=02:00:00:00:00:01 ${ip('eth1')}`), links),
  );
  refuses(['eth1'], ip('eth9'), 'ip=', /device "eth9" does not exist/);
  refuses(['eth1', 'eth2'], ip('eth3'), 'ip=', /device "eth3" is not one of --nics eth1,eth2/);
  refuses(undefined, `zos.nic=eth2 ${ip('eth1')}`, 'ip=', /device "eth1" contradicts zos.nic=eth2/);
  refuses(undefined, `zos.nic=02:00:00:00:00:02 ${ip('eth1')}`, 'ip=', /contradicts/);
  refuses(['eth1', 'nosuch'], '', '--nics', /no link named "nosuch"/);
});

test('a link that is not Ethernet (tun, ipip, wireguard) cannot be the NIC: ip= device, zos.nic, --nics', () => {
  const tun: IpLink = { ...link('tun0', ''), link_type: 'none', linkinfo: { info_kind: 'tun' } };
  const all = [...links, tun];
  const refusesAll = (nics: string[] | undefined, cmdline: string, field: string) =>
    assert.throws(
      () => checkLinks({ nics }, parseKernelCmdline(cmdline), all),
      (e: AppError) => e.details.field === field && /"tun0" is not an Ethernet link \(link\/none\)/.test(e.message),
      cmdline,
    );
  refusesAll(undefined, ip('tun0'), 'ip=');
  refusesAll(undefined, 'zos.nic=tun0', 'zos.nic');
  refusesAll(['eth1', 'tun0'], '', '--nics');
});
