// Every refusal of nic.attach (and of detach/check arguments) names the field, has its code,
// and changes nothing: links of the host and the target, the OVSDB dump and the state file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ip } from '../../../lib/ip.ts';
import { container, nicEnv } from './helpers.ts';

test('nic.attach refusals: code and field, nothing changed anywhere', async (t) => {
  const e = await nicEnv(t);
  const c1 = await container(t);
  await ip({ name: e.host }, ['link', 'add', 'name', 'br0', 'address', '02:00:00:00:0c:01', 'type', 'bridge']);
  await ip({ name: e.host }, ['link', 'add', 'name', 'vh0', 'type', 'veth', 'peer', 'name', 'vh1']);
  await ip({ name: c1 }, ['link', 'add', 'name', 'eth3', 'type', 'veth', 'peer', 'name', 'eth4']);
  // One nic attached, so the state file exists and must stay byte-identical.
  const ok = await e.call('nic.attach', { target: { netns: c1 }, nic: { type: 'bridge', id: 'br0' } });
  assert.equal(ok.exitCode, 0, ok.stdout);
  const before = await e.snapshot(c1);
  const tgt = { netns: c1 };
  const cases: [string, unknown, string, string | undefined][] = [
    ['no args', {}, 'EINVALID', 'target'],
    ['unknown field', { target: tgt, nic: { type: 'bridge', id: 'br0' }, x: 1 }, 'EINVALID', 'x'],
    ['unknown kind', { target: tgt, nic: { type: 'ipvlan', id: 'vh0' } }, 'EINVALID', 'nic.type'],
    // zerotier's refusals that need a binary or a network: zerotier-refusals.test.ts.
    ['zerotier id short', { target: tgt, nic: { type: 'zerotier', id: 'abcdef012345678' } }, 'EINVALID', 'nic.id'],
    ['zerotier id not hex', { target: tgt, nic: { type: 'zerotier', id: 'abcdef012345678g' } }, 'EINVALID', 'nic.id'],
    [
      'zerotier hwaddr',
      { target: tgt, nic: { type: 'zerotier', id: 'abcdef0123456789', hwaddr: '02:00:00:00:00:01' } },
      'EINVALID',
      'nic.hwaddr',
    ],
    [
      'zerotier config.cidr',
      { target: tgt, nic: { type: 'zerotier', id: 'abcdef0123456789', config: { cidr: '10.1.0.2/24' } } },
      'EINVALID',
      'nic.config.cidr',
    ],
    [
      'zerotier wait_ms',
      { target: tgt, nic: { type: 'zerotier', id: 'abcdef0123456789', config: { wait_ms: -1 } } },
      'EINVALID',
      'nic.config.wait_ms',
    ],
    [
      'wait_ms of another kind',
      { target: tgt, nic: { type: 'bridge', id: 'br0', config: { wait_ms: 5 } } },
      'EINVALID',
      'wait_ms',
    ],
    ['unknown nic field', { target: tgt, nic: { type: 'bridge', id: 'br0', gw: '1.2.3.4' } }, 'EINVALID', 'nic.gw'],
    ['vlan id range', { target: tgt, nic: { type: 'vlan', id: 4095 } }, 'EINVALID', 'nic.id'],
    ['vlan id text', { target: tgt, nic: { type: 'vlan', id: 'ten' } }, 'EINVALID', 'nic.id'],
    ['vxlan id 0', { target: tgt, nic: { type: 'vxlan', id: 0 } }, 'EINVALID', 'nic.id'],
    ['bridge id missing', { target: tgt, nic: { type: 'bridge' } }, 'EINVALID', 'nic.id'],
    ['bridge id bad name', { target: tgt, nic: { type: 'bridge', id: 'a b' } }, 'EINVALID', 'nic.id'],
    ['bridge id not there', { target: tgt, nic: { type: 'bridge', id: 'nosuch' } }, 'EINVALID', 'nic.id'],
    ['bridge id not a bridge', { target: tgt, nic: { type: 'bridge', id: 'vh0' } }, 'EINVALID', 'nic.id'],
    [
      'bad MAC',
      { target: tgt, nic: { type: 'bridge', id: 'br0', hwaddr: '02:00:00:00:00' } },
      'EINVALID',
      'nic.hwaddr',
    ],
    [
      'multicast MAC',
      { target: tgt, nic: { type: 'bridge', id: 'br0', hwaddr: '03:00:00:00:00:01' } },
      'EINVALID',
      'nic.hwaddr',
    ],
    [
      'bad CIDR',
      { target: tgt, nic: { type: 'bridge', id: 'br0', config: { cidr: '10.0.0.300/24' } } },
      'EINVALID',
      'nic.config.cidr',
    ],
    [
      'CIDR prefix',
      { target: tgt, nic: { type: 'bridge', id: 'br0', config: { cidr: '10.0.0.3/33' } } },
      'EINVALID',
      'nic.config.cidr',
    ],
    [
      'gateway family',
      { target: tgt, nic: { type: 'bridge', id: 'br0', config: { cidr: '10.0.0.3/24', gateway: 'fd00::1' } } },
      'EINVALID',
      'nic.config.gateway',
    ],
    [
      'dns',
      { target: tgt, nic: { type: 'bridge', id: 'br0', config: { dns: ['nope'] } } },
      'EINVALID',
      'nic.config.dns[0]',
    ],
    [
      'CIDR octal-looking prefix',
      { target: tgt, nic: { type: 'bridge', id: 'br0', config: { cidr: '10.9.0.5/024' } } },
      'EINVALID',
      'nic.config.cidr',
    ],
    [
      'CIDR this-network',
      { target: tgt, nic: { type: 'bridge', id: 'br0', config: { cidr: '0.0.0.0/24' } } },
      'EINVALID',
      'nic.config.cidr',
    ],
    [
      'CIDR loopback',
      { target: tgt, nic: { type: 'bridge', id: 'br0', config: { cidr: '127.0.0.5/8' } } },
      'EINVALID',
      'nic.config.cidr',
    ],
    [
      'CIDR multicast',
      { target: tgt, nic: { type: 'bridge', id: 'br0', config: { cidr: '224.0.0.5/24' } } },
      'EINVALID',
      'nic.config.cidr',
    ],
    [
      'CIDR network address',
      { target: tgt, nic: { type: 'bridge', id: 'br0', config: { cidr: '10.9.0.0/24' } } },
      'EINVALID',
      'nic.config.cidr',
    ],
    [
      'CIDR broadcast address',
      { target: tgt, nic: { type: 'bridge', id: 'br0', config: { cidr: '10.9.0.255/24' } } },
      'EINVALID',
      'nic.config.cidr',
    ],
    [
      'gateway is the own address',
      { target: tgt, nic: { type: 'bridge', id: 'br0', config: { cidr: '10.9.0.5/24', gateway: '10.9.0.5' } } },
      'EINVALID',
      'nic.config.gateway',
    ],
    ['MTU low', { target: tgt, nic: { type: 'bridge', id: 'br0', mtu: 67 } }, 'EINVALID', 'nic.mtu'],
    ['MTU text', { target: tgt, nic: { type: 'bridge', id: 'br0', mtu: '1500' } }, 'EINVALID', 'nic.mtu'],
    [
      'name too long',
      { target: tgt, nic: { type: 'bridge', id: 'br0', name: 'a234567890123456' } },
      'EINVALID',
      'nic.name',
    ],
    ['name clash in target', { target: tgt, nic: { type: 'bridge', id: 'br0', name: 'eth3' } }, 'EEXIST', 'nic.name'],
    [
      'name clash with an attached nic',
      { target: tgt, nic: { type: 'bridge', id: 'br0', name: 'eth0', mtu: 1400 } },
      'EEXIST',
      'nic.name',
    ],
    ['relative root', { target: tgt, nic: { type: 'bridge', id: 'br0', root: 'etc' } }, 'EINVALID', 'nic.root'],
    [
      'target netns gone',
      { target: { netns: 'nosuch-ns-x' }, nic: { type: 'bridge', id: 'br0' } },
      'EINVALID',
      'target.netns',
    ],
    ['target pid gone', { target: { pid: 4000000 }, nic: { type: 'bridge', id: 'br0' } }, 'EINVALID', 'target.pid'],
    ['two targets', { target: { netns: c1, pid: 1 }, nic: { type: 'bridge', id: 'br0' } }, 'EINVALID', 'target'],
    ['vxlan without vxbackend', { target: tgt, nic: { type: 'vxlan', id: 100 } }, 'ENOTFOUND', undefined],
    [
      'dhcp and cidr',
      { target: tgt, nic: { type: 'bridge', id: 'br0', config: { dhcp: true, cidr: '10.0.0.2/24' } } },
      'EINVALID',
      'nic.config.dhcp',
    ],
    ['vlan: name clash', { target: tgt, nic: { type: 'vlan', id: 7, name: 'eth3' } }, 'EEXIST', 'nic.name'],
  ];
  for (const [what, args, code, field] of cases) {
    const r = await e.call('nic.attach', args);
    assert.equal(r.exitCode, 1, `${what}: ${r.stdout}`);
    assert.equal(r.value.code, code, `${what}: ${r.stdout}`);
    assert.equal(r.value.field, field, `${what}: ${r.stdout}`);
    assert.equal(await e.snapshot(c1), before, `${what}: nothing changed`);
  }
  for (const [cmd, args, field] of [
    ['nic.detach', { target: tgt }, 'name'],
    ['nic.check', { target: tgt, name: 'eth0', repair: 1 }, 'repair'],
    ['nic.list', { target: 5 }, 'target'],
  ] as const) {
    const r = await e.call(cmd, args);
    assert.deepEqual([r.value.code, r.value.field], ['EINVALID', field], `${cmd}: ${r.stdout}`);
  }
  const missing = await e.call('nic.check', { target: tgt, name: 'eth9' });
  assert.deepEqual([missing.value.code, missing.value.field], ['ENOTFOUND', 'name']);
  assert.equal(await e.snapshot(c1), before);
});

test('nic.list through exec needs no OVSDB (it reads the state file only)', async (t) => {
  const e = await nicEnv(t, { backplane: false });
  await e.ovs.stopDb();
  const r = await e.call('nic.list', {});
  assert.deepEqual([r.exitCode, r.value], [0, []], r.stdout);
});

test('nic.attach vlan refuses when backplane is missing: ENOTFOUND, nothing changed', async (t) => {
  const e = await nicEnv(t, { backplane: false });
  const c1 = await container(t);
  const before = await e.snapshot(c1);
  const r = await e.call('nic.attach', { target: { netns: c1 }, nic: { type: 'vlan', id: 10 } });
  assert.equal(r.value.code, 'ENOTFOUND', r.stdout);
  assert.equal(await e.snapshot(c1), before);
});
