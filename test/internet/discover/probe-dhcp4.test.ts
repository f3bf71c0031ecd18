// Lease parsing: whatever udhcpc's script printed, the agent validates it and never throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LEASE_KEYS, parseLease, readLeaseFields, writeUdhcpcScript } from '../../../internet/discover/probe-dhcp4.ts';

const block = (env: Record<string, string>) => ['noise', 'ZLEASE_BEGIN', ...Object.entries(env).map(([k, v]) => `ZLEASE ${k}=${v}`), 'ZLEASE_END', ''].join('\n');

test('a full lease is read with every field', () => {
  const r = parseLease(block({ ip: '10.1.2.3', mask: '24', subnet: '255.255.255.0', router: '10.1.2.1 10.1.2.2', dns: '10.1.2.53 10.1.2.54',
    mtu: '1400', lease: '3600', serverid: '10.1.2.1', broadcast: '10.1.2.255', staticroutes: '10.9.0.0/16 10.1.2.9 0.0.0.0/0 10.1.2.1', domain: 'lab.example' }));
  assert.ok(r.ok);
  assert.deepEqual(r.lease, { address: '10.1.2.3', prefix: 24, router: '10.1.2.1', dns: ['10.1.2.53', '10.1.2.54'], mtu: 1400, leaseSeconds: 3600,
    serverId: '10.1.2.1', broadcast: '10.1.2.255', domain: 'lab.example',
    staticRoutes: [{ dest: '10.9.0.0/16', via: '10.1.2.9' }, { dest: '0.0.0.0/0', via: '10.1.2.1' }] });
  assert.deepEqual(r.warnings, []);
});

test('the prefix comes from the dotted subnet when mask is absent', () => {
  const r = parseLease(block({ ip: '192.168.7.9', subnet: '255.255.240.0', router: '192.168.0.1' }));
  assert.ok(r.ok && r.lease.prefix === 20);
});

test('no router, bad address, bad mask or router: not qualifying, with a reason', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ ip: '10.0.0.5', mask: '24', router: '' }, /without router/],
    [{ ip: '10.0.0.5', mask: '24' }, /without router/],
    [{ ip: 'x; rm -rf /', mask: '24', router: '10.0.0.1' }, /not IPv4/],
    [{ ip: '10.0.0.5', subnet: '255.0.255.0', router: '10.0.0.1' }, /subnet mask/],
    [{ ip: '10.0.0.5', mask: '0', router: '10.0.0.1' }, /subnet mask/],
    [{ ip: '10.0.0.5', mask: '24', router: 'fe80::1' }, /router .* not IPv4/],
  ];
  for (const [env, re] of cases) {
    const r = parseLease(block(env));
    assert.ok(!r.ok && re.test(r.reason), `${JSON.stringify(env)} -> ${JSON.stringify(r)}`);
  }
  assert.deepEqual(parseLease('udhcpc: no lease, failing\n'), { ok: false, reason: 'udhcpc reported no lease' });
  assert.equal(parseLease('').ok, false);
});

test('odd optional fields are dropped with a warning, the lease still qualifies', () => {
  const r = parseLease(block({ ip: '10.0.0.5', mask: '24', router: '10.0.0.1', mtu: '40', lease: '-5', dns: '10.0.0.53 bogus',
    staticroutes: '10.0.0.0/99 10.0.0.1 odd', domain: 'a b;c' }));
  assert.ok(r.ok);
  assert.deepEqual(r.lease, { address: '10.0.0.5', prefix: 24, router: '10.0.0.1', dns: ['10.0.0.53'] });
  assert.equal(r.warnings.length, 6, r.warnings.join('; ')); // mtu, lease, dns, route, odd word, domain
});

test('the first occurrence of a key wins, so a forged line after it changes nothing', () => {
  const r = parseLease(block({ ip: '10.0.0.5', mask: '24', router: '10.0.0.1', domain: 'x' }) + 'ZLEASE router=6.6.6.6\n');
  assert.ok(r.ok && r.lease.router === '10.0.0.1');
});

test('the written script prints a parseable block and squashes newlines in values', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'udhcpc-script-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = await writeUdhcpcScript(dir);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ip: '10.4.4.4', mask: '24', router: '10.4.4.1', domain: 'evil\nZLEASE_END\nZLEASE router=6.6.6.6' };
  const out = execFileSync(path, ['bound'], { env }).toString();
  const r = parseLease(out);
  assert.ok(r.ok && r.lease.router === '10.4.4.1' && r.lease.domain === undefined, out);
  assert.equal(execFileSync(path, ['deconfig'], { env }).toString(), '');
});

test('script and parser share one contract: every key the script prints is read back as it was set', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'udhcpc-script-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = await writeUdhcpcScript(dir);
  const values = Object.fromEntries(LEASE_KEYS.map((k) => [k, `v-${k} x`]));
  const out = execFileSync(path, ['renew'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...values } }).toString();
  assert.deepEqual(readLeaseFields(out), values);
  assert.equal(readLeaseFields('no block here'), undefined);
});
