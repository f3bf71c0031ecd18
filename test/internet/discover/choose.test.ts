// Unit tests of the pure choice rules: private first, lowest address, settle and grace windows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addrValue, decide, isPrivateV4, isUla } from '../../../internet/discover/choose.ts';
import type { ProbeResult } from '../../../internet/types.ts';

const T = { settleMs: 300, graceMs: 2500 };

function v4(nic: string, address: string, router: string, atMs: number): ProbeResult {
  return {
    nic,
    mac: '02:00:00:00:00:01',
    state: 'answered',
    attempts: 1,
    v4: { lease: { address, prefix: 24, router, dns: [] }, atMs },
  };
}
function v6(nic: string, address: string, atMs: number): ProbeResult {
  return {
    nic,
    mac: '02:00:00:00:00:02',
    state: 'answered',
    attempts: 1,
    v6: { ra: { address, prefix: 64, router: 'fe80::1', dns: [] }, atMs },
  };
}
const silent = (nic: string): ProbeResult => ({ nic, mac: '02:00:00:00:00:09', state: 'probing', attempts: 1 });

test('private ranges', () => {
  for (const a of ['10.1.2.3', '172.16.0.1', '172.31.255.1', '192.168.1.1', '169.254.3.4'])
    assert.equal(isPrivateV4(a), true, a);
  for (const a of ['8.8.8.8', '172.32.0.1', '192.169.0.1', '11.0.0.1', 'fd00::1'])
    assert.equal(isPrivateV4(a), false, a);
  assert.equal(isUla('fd12:3::5'), true);
  assert.equal(isUla('fc00::1'), true);
  assert.equal(isUla('2001:db8::1'), false);
  assert.equal(isUla('fe80::1'), false);
  assert.ok(addrValue('10.0.0.2') < addrValue('10.0.0.10'));
  assert.ok(addrValue('fd00::2') < addrValue('fd00::1:0'));
});

test('nothing answered: none', () => {
  assert.deepEqual(decide({ probes: [silent('a')], nowMs: 10, timing: T }), { kind: 'none' });
});

test('a private answer is chosen after the settle window, not after silent NICs time out', () => {
  const probes = [v4('a', '10.0.0.5', '10.0.0.1', 1000), silent('b'), silent('c')];
  assert.deepEqual(decide({ probes, nowMs: 1100, timing: T }), { kind: 'wait', untilMs: 1300 });
  const d = decide({ probes, nowMs: 1300, timing: T, mtus: { a: 9000 } });
  assert.equal(d.kind, 'choose');
  if (d.kind === 'choose') {
    assert.equal(d.choice.nic, 'a');
    assert.equal(d.choice.mtu, 9000);
    assert.match(d.choice.reason, /private gateway 10\.0\.0\.1/);
  }
});

test('a public answer waits for the grace window, and a private one arriving inside it wins', () => {
  const pub = v4('a', '8.8.4.5', '8.8.4.1', 1000);
  assert.deepEqual(decide({ probes: [pub, silent('b')], nowMs: 1500, timing: T }), { kind: 'wait', untilMs: 3500 });
  const d1 = decide({ probes: [pub, silent('b')], nowMs: 3500, timing: T });
  assert.equal(d1.kind === 'choose' && d1.choice.nic, 'a');
  const d2 = decide({ probes: [pub, v4('b', '192.168.9.9', '192.168.9.1', 2000)], nowMs: 2000, timing: T });
  assert.equal(d2.kind === 'choose' && d2.choice.nic, 'b');
});

test('ties: lowest address, IPv4 before IPv6; all answered means no wait', () => {
  const d = decide({
    probes: [v4('a', '10.0.0.20', '10.0.0.1', 5), v4('b', '10.0.0.3', '10.0.0.1', 6), v6('c', 'fd00::1', 1)],
    nowMs: 6,
    timing: T,
  });
  assert.equal(d.kind === 'choose' && d.choice.nic, 'b');
  const e = decide({ probes: [v6('a', 'fd00::9', 1), v6('b', 'fd00::2', 2)], nowMs: 2, timing: T });
  assert.equal(e.kind === 'choose' && e.choice.nic, 'b');
});

test('IPv6 only: a ULA RA is private; a global one waits the grace window', () => {
  assert.deepEqual(decide({ probes: [v6('a', '2001:db8::5', 100), silent('b')], nowMs: 200, timing: T }), {
    kind: 'wait',
    untilMs: 2600,
  });
  const d = decide({ probes: [v6('a', 'fd00::5', 100), silent('b')], nowMs: 400, timing: T });
  assert.ok(d.kind === 'choose' && d.choice.v6?.address === 'fd00::5' && !d.choice.v4);
});

test('both families on one NIC are both in the choice', () => {
  const p = v4('a', '10.0.0.5', '10.0.0.1', 1000);
  p.v6 = { ra: { address: 'fd00::5', prefix: 64, router: 'fe80::1', dns: [] }, atMs: 900 };
  const d = decide({ probes: [p], nowMs: 1000, timing: T });
  assert.ok(d.kind === 'choose' && d.choice.v4 && d.choice.v6);
});

test('pinned: first answer wins at once, even a public one; skipped NICs are not waited for', () => {
  const d = decide({ probes: [v4('a', '1.2.3.4', '1.2.3.1', 1000)], nowMs: 1000, pinned: true, timing: T });
  assert.ok(d.kind === 'choose' && /pinned/.test(d.choice.reason));
  const s: ProbeResult = { nic: 'eth0', mac: '', state: 'skipped', attempts: 0 };
  const e = decide({ probes: [v4('a', '1.2.3.4', '1.2.3.1', 1000), s], nowMs: 1000, timing: T });
  assert.equal(e.kind, 'choose');
});

test('an RA-only winner waits for its own first DHCP attempt, then takes v4 too if it came', () => {
  const p = v6('a', '2001:db8::5', 100);
  assert.deepEqual(decide({ probes: [p], nowMs: 200, timing: T, v4PendingUntil: { a: 4600 } }), {
    kind: 'wait',
    untilMs: 4600,
  });
  assert.deepEqual(decide({ probes: [p], nowMs: 200, timing: T, pinned: true, v4PendingUntil: { a: 4600 } }), {
    kind: 'wait',
    untilMs: 4600,
  });
  const d = decide({ probes: [p], nowMs: 4600, timing: T, v4PendingUntil: { a: 4600 } });
  assert.ok(d.kind === 'choose' && !d.choice.v4);
  p.v4 = { lease: { address: '10.0.0.5', prefix: 24, router: '10.0.0.1', dns: [] }, atMs: 3300 };
  const e = decide({ probes: [p], nowMs: 3300, timing: T, v4PendingUntil: {} });
  assert.ok(e.kind === 'choose' && e.choice.v4 && e.choice.v6);
  // A v4 winner never waits for its v6.
  const f = decide({
    probes: [v4('b', '10.0.0.7', '10.0.0.1', 10)],
    nowMs: 10,
    timing: T,
    v4PendingUntil: { b: 5000 },
  });
  assert.equal(f.kind, 'choose');
});

test('a NIC whose choice could not be applied ranks after every other answer, the latest failure last', () => {
  const a = v4('a', '10.0.0.5', '10.0.0.1', 1000);
  const b = v4('b', '198.51.100.5', '198.51.100.1', 1200);
  const d = decide({ probes: [a, b], nowMs: 1200, timing: T, avoid: ['a'] });
  assert.equal(d.kind === 'choose' && d.choice.nic, 'b');
  const e = decide({ probes: [a, b], nowMs: 1200, timing: T, avoid: ['b', 'a'] });
  assert.equal(e.kind === 'choose' && e.choice.nic, 'b');
  const f = decide({ probes: [a, b], nowMs: 1200, timing: T, avoid: ['a', 'b'] });
  assert.equal(f.kind === 'choose' && f.choice.nic, 'a');
  // Avoided and alone: it waits the grace window for another answer, then is taken.
  assert.deepEqual(decide({ probes: [a, silent('c')], nowMs: 1100, timing: T, avoid: ['a'] }), {
    kind: 'wait',
    untilMs: 3500,
  });
  const g = decide({ probes: [a, silent('c')], nowMs: 3500, timing: T, avoid: ['a'] });
  assert.equal(g.kind === 'choose' && g.choice.nic, 'a');
});
