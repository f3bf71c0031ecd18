// One router rule for the agent's probe (parseLease, TypeScript) and the udhcpc hook of dhcp-zos
// and the plugin's DHCP nics (sh): one table of leases goes through both, and both must pick the
// same default gateway or refuse the same ones. The hook runs under busybox sh and dash with a
// fake `ip` that logs its arguments (no kernel needed: which route it asks for is the point).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { udhcpcHookScript } from '../../lib/udhcpc-hook.ts';
import { LEASE, LEASE_KEYS, parseLease } from '../../internet/discover/probe-dhcp4.ts';

const run = promisify(execFile);

type Lease = { ip: string; mask: string; router?: string; staticroutes?: string };

/** [what, lease, the default gateway both must choose (undefined: none, the old route stays)]. */
const TABLE: [string, Lease, string | undefined][] = [
  ['plain router', { ip: '10.0.0.5', mask: '24', router: '10.0.0.1' }, '10.0.0.1'],
  ["router is the lease's own address", { ip: '10.0.0.5', mask: '24', router: '10.0.0.5' }, undefined],
  ['router 0.0.0.0', { ip: '10.0.0.5', mask: '24', router: '0.0.0.0' }, undefined],
  ['router loopback', { ip: '10.0.0.5', mask: '24', router: '127.0.0.1' }, undefined],
  ['router multicast', { ip: '10.0.0.5', mask: '24', router: '224.0.0.1' }, undefined],
  ['router broadcast', { ip: '10.0.0.5', mask: '24', router: '255.255.255.255' }, undefined],
  ['router reserved', { ip: '10.0.0.5', mask: '24', router: '240.0.0.1' }, undefined],
  ['router is the network address', { ip: '10.0.0.5', mask: '24', router: '10.0.0.0' }, undefined],
  ['router is the subnet broadcast', { ip: '10.0.0.5', mask: '24', router: '10.0.0.255' }, undefined],
  ['off-subnet router without option 121', { ip: '10.0.0.5', mask: '24', router: '10.9.0.1' }, undefined],
  ['/32 lease, router without option 121', { ip: '203.0.113.7', mask: '32', router: '203.0.113.1' }, undefined],
  [
    'off-subnet router with option 121',
    { ip: '10.0.0.5', mask: '24', router: '10.9.0.1', staticroutes: '10.8.0.0/16 10.0.0.1' },
    '10.9.0.1',
  ],
  ['/31 router', { ip: '10.0.0.0', mask: '31', router: '10.0.0.1' }, '10.0.0.1'],
  ['link-local router off the subnet, no 121', { ip: '10.0.0.5', mask: '24', router: '169.254.1.1' }, undefined],
  ['first router unusable, second taken', { ip: '10.0.0.5', mask: '24', router: '10.0.0.5 10.0.0.2' }, '10.0.0.2'],
  [
    'option 121 default replaces the router option',
    { ip: '10.0.0.5', mask: '24', router: '10.0.0.1', staticroutes: '0.0.0.0/0 10.0.0.2' },
    '10.0.0.2',
  ],
  [
    'option 121 default off the subnet',
    { ip: '10.0.0.5', mask: '24', staticroutes: '0.0.0.0/0 192.0.2.1' },
    '192.0.2.1',
  ],
  [
    'option 121 on-link default with a router',
    { ip: '10.0.0.5', mask: '24', router: '10.0.0.1', staticroutes: '0.0.0.0/0 0.0.0.0' },
    '10.0.0.1',
  ],
  ['option 121 on-link default alone', { ip: '10.0.0.5', mask: '24', staticroutes: '0.0.0.0/0 0.0.0.0' }, undefined],
  [
    'option 121 default via own address, router taken',
    { ip: '10.0.0.5', mask: '24', router: '10.0.0.1', staticroutes: '0.0.0.0/0 10.0.0.5' },
    '10.0.0.1',
  ],
  [
    'option 121 default via loopback only',
    { ip: '10.0.0.5', mask: '24', staticroutes: '0.0.0.0/0 127.0.0.1' },
    undefined,
  ],
  ['no router at all', { ip: '10.0.0.5', mask: '24' }, undefined],
];

/** The probe's verdict: the lease's router, or undefined when parseLease refuses it. */
function probeGateway(l: Lease): string | undefined {
  const lines = LEASE_KEYS.filter((k) => k in l).map((k) => `${LEASE.line} ${k}=${(l as Record<string, string>)[k]}`);
  const r = parseLease([LEASE.begin, ...lines, LEASE.end, ''].join('\n'));
  return r.ok ? r.lease.router : undefined;
}

/** The hook's verdict under `shell`: the gateway of the `route replace default` it asks for. */
async function hookGateway(
  dir: string,
  shell: string[],
  l: Lease,
): Promise<{ gw: string | undefined; onlinkDefault: boolean; out: string }> {
  const log = join(dir, 'ip.log');
  await writeFile(log, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    RESOLV_CONF: join(dir, 'resolv.conf'),
    interface: 'eth9',
    IPLOG: log,
    ...l,
  };
  const { stdout } = await run(shell[0]!, [...shell.slice(1), join(dir, 'hook'), 'renew'], { env });
  const calls = (await readFile(log, 'utf8')).split('\n');
  const def = calls.find((c) => /^-4 route replace default via /.test(c));
  return {
    gw: def?.split(' ')[5],
    onlinkDefault: calls.some((c) => /^-4 route replace default dev /.test(c)),
    out: stdout,
  };
}

test('the probe and the udhcpc hook pick the same default gateway from one table of leases', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'router-rule-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const fakeIp = join(dir, 'ip');
  await writeFile(fakeIp, '#!/bin/sh\necho "$*" >> "$IPLOG"\n', { mode: 0o755 });
  await writeFile(
    join(dir, 'hook'),
    udhcpcHookScript({ ip: fakeIp, comment: ['test'], name: 'hook', writtenBy: 'test' }),
    { mode: 0o755 },
  );
  for (const shell of [['busybox', 'sh'], ['/bin/sh']]) {
    for (const [what, lease, want] of TABLE) {
      assert.equal(probeGateway(lease), want, `probe: ${what}`);
      const h = await hookGateway(dir, shell, lease);
      assert.equal(h.gw, want, `${shell.join(' ')} hook: ${what}\n${h.out}`);
      assert.ok(!h.onlinkDefault, `${shell.join(' ')} hook: ${what}: no on-link default`);
      if (want === undefined && (lease.router || lease.staticroutes)) {
        assert.match(h.out, /no usable router in the lease: the previous default route stays/, `${what}: logged`);
      }
    }
  }
});

test('the probe and the udhcpc hook take the same search domain (1..253 of A-Z a-z 0-9 . -)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'router-rule-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const fakeIp = join(dir, 'ip');
  await writeFile(fakeIp, '#!/bin/sh\necho "$*" >> "$IPLOG"\n', { mode: 0o755 });
  await writeFile(
    join(dir, 'hook'),
    udhcpcHookScript({ ip: fakeIp, comment: ['test'], name: 'hook', writtenBy: 'test' }),
    { mode: 0o755 },
  );
  const resolv = join(dir, 'resolv.conf');
  for (const [domain, want] of [
    ['lab.example', 'lab.example'],
    ['a'.repeat(253), 'a'.repeat(253)],
    ['a'.repeat(300), undefined],
    ['x;rm -rf /', undefined],
    ['a b', undefined],
    ['', undefined],
  ] as [string, string | undefined][]) {
    const lines = [
      `${LEASE.line} ip=10.0.0.5`,
      `${LEASE.line} mask=24`,
      `${LEASE.line} router=10.0.0.1`,
      `${LEASE.line} dns=10.0.0.53`,
      `${LEASE.line} domain=${domain}`,
    ];
    const p = parseLease([LEASE.begin, ...lines, LEASE.end, ''].join('\n'));
    assert.ok(p.ok);
    assert.equal(p.lease.domain, want, `probe: ${domain.slice(0, 20)}`);
    await rm(resolv, { force: true });
    await run('busybox', ['sh', join(dir, 'hook'), 'bound'], {
      env: {
        PATH: process.env.PATH ?? '',
        RESOLV_CONF: resolv,
        interface: 'eth9',
        IPLOG: join(dir, 'ip.log'),
        ip: '10.0.0.5',
        mask: '24',
        router: '10.0.0.1',
        dns: '10.0.0.53',
        domain,
      },
    });
    const search = (await readFile(resolv, 'utf8')).split('\n').find((l) => l.startsWith('search'));
    assert.equal(search, want === undefined ? undefined : `search ${want}`, `hook: ${domain.slice(0, 20)}`);
  }
});
