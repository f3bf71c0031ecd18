// kvm targets: a tap on the host plugged into the kind's bridge before QEMU opens it, the
// libvirt <interface> (valid for virt-xml-validate) and QEMU arguments; detach removes the tap
// and its port; gc removes them only once the recorded QEMU pid is gone; refusals change nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../../lib/exec.ts';
import { ip, listLinks } from '../../../lib/ip.ts';
import { portsOf } from '../helpers.ts';
import { killedAt } from './crash.ts';
import { container, nicEnv } from './helpers.ts';

test('kvm: tap on the VLAN bridge, libvirt XML validates, QEMU args; detach; gc waits for the QEMU pid', async (t) => {
  const e = await nicEnv(t);
  const c1 = await container(t);
  const ct = await e.call('nic.attach', {
    target: { netns: c1 },
    nic: { type: 'vlan', id: 10, config: { cidr: '10.9.0.1/24' } },
  });
  assert.equal(ct.exitCode, 0, ct.stdout);
  const r = await e.call('nic.attach', {
    target: { kvm: 'vm1' },
    nic: { type: 'vlan', id: 10, hwaddr: '52:54:00:12:34:56', mtu: 1400 },
  });
  assert.equal(r.exitCode, 0, r.stdout);
  const g = r.value;
  assert.match(g.tap, /^kt[0-9a-f]{10}$/);
  assert.deepEqual([g.bridge, g.tag, g.hwaddr, g.mtu], ['vlbr10', 10, '52:54:00:12:34:56', 1400]);
  assert.deepEqual(g.qemu, [
    '-netdev',
    `tap,id=net-${g.tap},ifname=${g.tap},script=no,downscript=no`,
    '-device',
    `virtio-net-pci,netdev=net-${g.tap},mac=52:54:00:12:34:56,host_mtu=1400`,
  ]);
  assert.ok((await portsOf(e.ovs, 'vlbr10')).includes(g.tap));
  const [tap] = await listLinks({ name: e.host }, g.tap);
  // The tap has its bridge's MTU (so the bridge keeps it); the guest's own is host_mtu.
  assert.deepEqual([tap?.linkinfo?.info_kind, tap?.address, tap?.mtu], ['tun', 'fe:54:00:12:34:56', 1500]);
  const domain = join(e.ovs.dir, 'domain.xml');
  await writeFile(
    domain,
    "<domain type='qemu'><name>vm1</name><memory>131072</memory><os><type arch='x86_64'>hvm</type></os>" +
      `<devices>\n${g.libvirt}\n</devices></domain>\n`,
  );
  const v = await run('virt-xml-validate', [domain, 'domain'], { allowFailure: true });
  assert.equal(v.exitCode, 0, v.stdout + v.stderr);
  assert.match(g.libvirt, new RegExp(`<target dev='${g.tap}' managed='no'/>`));
  const again = await e.call('nic.attach', {
    target: { kvm: 'vm1' },
    nic: { type: 'vlan', id: 10, hwaddr: '52:54:00:12:34:56', mtu: 1400 },
  });
  assert.deepEqual(again.value, g, 'repeat returns the same tap');
  assert.deepEqual((await e.call('nic.check', { target: { kvm: 'vm1' }, name: g.tap })).value, {
    ok: true,
    drift: [],
    repaired: [],
  });
  assert.equal((await e.call('nic.gc', {})).value.removed.length, 0, 'no pid recorded: gc leaves it');
  assert.equal((await e.call('nic.detach', { target: { kvm: 'vm1' }, name: g.tap })).exitCode, 0);
  assert.ok(!(await portsOf(e.ovs, 'vlbr10')).includes(g.tap));
  assert.equal((await listLinks({ name: e.host }, g.tap)).length, 0);

  const qemu = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.after(() => {
    qemu.kill('SIGKILL');
  });
  const b = await e.call('nic.attach', { target: { kvm: 'vm2', pid: qemu.pid }, nic: { type: 'vlan', id: 10 } });
  assert.equal(b.exitCode, 0, b.stdout);
  assert.equal((await e.call('nic.gc', {})).value.removed.length, 0, 'QEMU runs: the tap stays');
  qemu.kill('SIGKILL');
  await new Promise((res) => qemu.once('exit', res));
  const gc = await e.call('nic.gc', {});
  assert.equal(gc.value.removed.length, 1, gc.stdout);
  assert.equal((await listLinks({ name: e.host }, b.value.tap)).length, 0);
  assert.deepEqual((await portsOf(e.ovs, 'vlbr10')).length, 1, "the container's port (a fake bridge has no patch)");
});

/** A domain XML around one `<interface>`, validated by virt-xml-validate (libvirt's schema). */
async function validXml(dir: string, iface: string): Promise<void> {
  const domain = join(dir, `domain-${Math.random().toString(16).slice(2)}.xml`);
  await writeFile(
    domain,
    "<domain type='kvm'><name>vm</name><memory>131072</memory><os><type arch='x86_64'>hvm</type></os>" +
      `<devices>\n${iface}\n</devices></domain>\n`,
  );
  const v = await run('virt-xml-validate', [domain, 'domain'], { allowFailure: true });
  assert.equal(v.exitCode, 0, v.stdout + v.stderr);
}

test(
  'kvm default: a tap on nat0 with a pool address for the guest; ' + 'one per guest; multi-queue tap QEMU opens',
  async (t) => {
    const e = await nicEnv(t, { backplane: false });
    const r = await e.call('nic.attach', {
      target: { kvm: 'vm1' },
      nic: { type: 'default', hwaddr: '52:54:00:00:00:01', queues: 4 },
    });
    assert.equal(r.exitCode, 0, r.stdout);
    const g = r.value;
    assert.deepEqual([g.bridge, g.address, g.gateway, g.queues], ['nat0', '172.18.0.2/16', '172.18.0.1', 4]);
    const [tap] = await listLinks({ name: e.host }, g.tap);
    assert.equal(tap?.master, 'nat0');
    assert.match(await ip({ name: e.host }, ['-d', 'tuntap', 'show']), new RegExp(`^${g.tap}: tap .*multi_queue`, 'm'));
    assert.deepEqual(g.qemu, [
      '-netdev',
      `tap,id=net-${g.tap},ifname=${g.tap},script=no,downscript=no,queues=4`,
      '-device',
      `virtio-net-pci,netdev=net-${g.tap},mac=52:54:00:00:00:01,mq=on,vectors=10`,
    ]);
    assert.match(g.libvirt, /<driver name='vhost' queues='4'\/>/);
    await validXml(e.ovs.dir, g.libvirt);
    // QEMU opens the multi-queue tap with these arguments (paused, no guest: -S; stopped at once).
    const q = await run(
      'nsenter',
      [
        `--net=/run/netns/${e.host}`,
        'timeout',
        '-s',
        'KILL',
        '20',
        'qemu-system-x86_64',
        '-M',
        'pc',
        '-accel',
        'tcg',
        '-S',
        '-display',
        'none',
        '-nodefaults',
        '-monitor',
        'none',
        '-serial',
        'none',
        ...g.qemu,
        '-daemonize',
        '-pidfile',
        join(e.ovs.dir, 'qemu.pid'),
      ],
      { allowFailure: true, timeoutMs: 30000 },
    );
    assert.equal(q.exitCode, 0, q.stderr);
    const pid = Number((await readFile(join(e.ovs.dir, 'qemu.pid'), 'utf8')).trim());
    t.after(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    });
    process.kill(pid, 'SIGKILL');
    // A second guest gets the next address; the same guest a second default nic is refused.
    const r2 = await e.call('nic.attach', { target: { kvm: 'vm2' }, nic: { type: 'default' } });
    assert.equal(r2.value.address, '172.18.0.3/16', r2.stdout);
    assert.equal(r2.value.queues, undefined);
    await validXml(e.ovs.dir, r2.value.libvirt);
    const again = await e.call('nic.attach', { target: { kvm: 'vm1' }, nic: { type: 'default' } });
    assert.deepEqual([again.value.code, again.value.field], ['EEXIST', 'nic.type'], again.stdout);
    for (const [vm, x] of [
      ['vm1', g],
      ['vm2', r2.value],
    ])
      assert.equal((await e.call('nic.detach', { target: { kvm: vm }, name: x.tap })).exitCode, 0);
    assert.equal((await listLinks({ name: e.host })).filter((l) => l.master === 'nat0').length, 0, 'taps gone');
    assert.deepEqual((await e.call('nic.list', {})).value, []);
  },
);

test('kvm refusals: container-only kinds, config, a pid that does not exist; nothing changed', async (t) => {
  const e = await nicEnv(t);
  await ip({ name: e.host }, ['link', 'add', 'name', 'br0', 'address', '02:00:00:00:11:01', 'type', 'bridge']);
  const before = await e.snapshot();
  const cases: [unknown, string, string][] = [
    [{ target: { kvm: 'vm1' }, nic: { type: 'macvlan', id: 'br0' } }, 'EINVALID', 'nic.type'],
    [{ target: { kvm: 'vm1' }, nic: { type: 'passthrough', id: 'br0' } }, 'EINVALID', 'nic.type'],
    [{ target: { kvm: 'vm1' }, nic: { type: 'default', config: { dhcp: true } } }, 'EINVALID', 'nic.config'],
    [{ target: { kvm: 'vm1' }, nic: { type: 'bridge', id: 'br0', queues: 0 } }, 'EINVALID', 'nic.queues'],
    [{ target: { kvm: 'vm1' }, nic: { type: 'bridge', id: 'br0', queues: 257 } }, 'EINVALID', 'nic.queues'],
    [{ target: { kvm: 'vm1' }, nic: { type: 'bridge', id: 'br0', queues: 2.5 } }, 'EINVALID', 'nic.queues'],
    [{ target: { netns: 'c1' }, nic: { type: 'bridge', id: 'br0', queues: 2 } }, 'EINVALID', 'nic.queues'],
    [
      { target: { kvm: 'vm1' }, nic: { type: 'bridge', id: 'br0', config: { cidr: '10.0.0.2/24' } } },
      'EINVALID',
      'nic.config',
    ],
    [{ target: { kvm: 'vm1', pid: 4000000 }, nic: { type: 'bridge', id: 'br0' } }, 'EINVALID', 'target.pid'],
    [{ target: { kvm: 'vm 1' }, nic: { type: 'bridge', id: 'br0' } }, 'EINVALID', 'target.kvm'],
    [{ target: { kvm: 'vm1' }, nic: { type: 'bridge', id: 'br0', name: 'br0' } }, 'EEXIST', 'nic.name'],
  ];
  for (const [args, code, field] of cases) {
    const r = await e.call('nic.attach', args);
    assert.deepEqual([r.value.code, r.value.field], [code, field], r.stdout);
    assert.equal(await e.snapshot(), before);
  }
});

test('kvm: SIGKILL at every step of a tap attach and detach, then gc -> attached or nothing', async (t) => {
  const e = await nicEnv(t);
  const first = await e.call('nic.attach', { target: { kvm: 'warm' }, nic: { type: 'vlan', id: 10 } });
  assert.equal(first.exitCode, 0, first.stdout);
  const nothing = await e.snapshot();
  const target = { kvm: 'vm1' };
  const nic = { type: 'vlan', id: 10, name: 'tapvm1' };
  for (const step of ['attach:recorded', 'attach:bridge', 'attach:tap', 'attach:plugged', 'attach:done']) {
    await killedAt(e, step, 'nic.attach', { target, nic });
    const gc = await e.call('nic.gc', {});
    assert.equal(gc.value.undone.length, 1, `${step}: ${gc.stdout}`);
    assert.equal(await e.snapshot(), nothing, `${step}: nothing left`);
  }
  for (const step of ['detach:recorded', 'detach:unplugged', 'detach:deleted', 'detach:done']) {
    assert.equal((await e.call('nic.attach', { target, nic })).exitCode, 0);
    await killedAt(e, step, 'nic.detach', { target, name: 'tapvm1' });
    const gc = await e.call('nic.gc', {});
    assert.equal(gc.value.finished.length, 1, `${step}: ${gc.stdout}`);
    assert.equal(await e.snapshot(), nothing, `${step}: nothing left`);
  }
});
