// A QEMU guest (TCG, Debian kernel, busybox initramfs) on a tap attached with `type: vlan`,
// started with the plugin's own QEMU arguments: it exchanges packets with a container on the
// same VLAN and not with one on another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { commandIn } from '../../../lib/netns.ts';
import { buildGuest } from './guest.ts';
import { container, nicEnv, pings } from './helpers.ts';

// no_timer_check: under TCG on a loaded machine the kernel's IO-APIC timer check can fail and panic.
test('kvm guest on a vlan tap reaches a container on its VLAN, not one on another', async (t) => {
  const guest = await buildGuest(
    [
      'ip link set eth0 up',
      'ip addr add 10.9.0.50/24 dev eth0',
      'sleep 1',
      'if ping -c 3 -W 3 10.9.0.1 >/dev/null; then echo GUEST-SAME-OK; else echo GUEST-SAME-FAIL; fi',
      'if ping -c 2 -W 2 10.9.0.3 >/dev/null; then echo GUEST-OTHER-OK; else echo GUEST-OTHER-FAIL; fi',
      'sleep 20',
    ].join('\n'),
  );
  if ('skip' in guest) return t.skip(guest.skip);
  t.after(() => guest.cleanup());
  const e = await nicEnv(t);
  const [c1, c3] = [await container(t), await container(t)];
  for (const [ns, vlan, ip] of [
    [c1, 10, '10.9.0.1/24'],
    [c3, 20, '10.9.0.3/24'],
  ] as const) {
    const r = await e.call('nic.attach', {
      target: { netns: ns },
      nic: { type: 'vlan', id: vlan, config: { cidr: ip } },
    });
    assert.equal(r.exitCode, 0, r.stdout);
  }
  const g = await e.call('nic.attach', { target: { kvm: 'vm1' }, nic: { type: 'vlan', id: 10 } });
  assert.equal(g.exitCode, 0, g.stdout);
  const args = [
    '-accel',
    'tcg',
    '-m',
    '256',
    '-nographic',
    '-no-reboot',
    '-kernel',
    guest.kernel,
    '-initrd',
    guest.initrd,
    '-append',
    'console=ttyS0 panic=-1 quiet no_timer_check',
    ...g.value.qemu,
  ];
  const qemu = spawn(...commandIn({ name: e.host }, 'qemu-system-x86_64', args), { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    qemu.kill('SIGKILL');
  });
  let out = '';
  qemu.stdout!.on('data', (d) => {
    out += d;
  });
  qemu.stderr!.on('data', (d) => {
    out += d;
  });
  const end = Date.now() + 120_000;
  while (!/GUEST-OTHER-(OK|FAIL)/.test(out) && Date.now() < end && qemu.exitCode === null)
    await new Promise((r) => setTimeout(r, 200));
  assert.match(out, /GUEST-SAME-OK/, out.slice(-2000));
  assert.match(out, /GUEST-OTHER-FAIL/, 'another VLAN is not reachable');
  assert.ok(await pings(c1, '10.9.0.50'), 'the container reaches the guest');
  qemu.kill('SIGKILL');
  assert.equal((await e.call('nic.detach', { target: { kvm: 'vm1' }, name: g.value.tap })).exitCode, 0);
});
