// handoff against the fake zinit (both generations): first monitor, unchanged rerun, reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../lib/log.ts';
import { ZinitClient } from '../../../zinit/client.ts';
import { dhcpZosInPlace, dhcpZosUnit, handoff, removeDhcpZos } from '../../../internet/handoff/handoff.ts';
import { DHCP_ZOS_SCRIPT } from '../../../internet/handoff/dhcp-zos-script.ts';
import { startFakeZinit } from '../../helpers/fake-zinit.ts';

const log = createLogger(() => {});

test('unit text: busybox udhcpc on zos keeping the leased address, with our hook script', () => {
  assert.equal(dhcpZosUnit({ leasedIp: '10.0.0.5', script: '/run/internet/dhcp-zos.script', resolvConf: '/etc/resolv.conf' }),
    '# Written by internet: the permanent DHCP client on zos, renewing the lease the probe got.\n'
    + 'exec: udhcpc -f -i zos -r 10.0.0.5 -s /run/internet/dhcp-zos.script\nenv:\n  RESOLV_CONF: /etc/resolv.conf\nlog: stdout\n');
});

for (const generation of [1, 2] as const) {
  test(`gen ${generation}: monitor, unchanged on rerun, stop/forget/monitor when the lease changed, remove`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'handoff-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const z = await startFakeZinit(t, { dir, generation });
    const c = new ZinitClient(z.path);
    const spec = (leasedIp: string) => ({ leasedIp, script: join(dir, 'dhcp-zos.script'), resolvConf: join(dir, 'resolv.conf') });
    assert.equal(await dhcpZosInPlace(c, dir, spec('10.0.0.5')), false);
    assert.equal(await handoff(c, dir, spec('10.0.0.5'), log), 'monitored');
    assert.equal(await readFile(join(dir, 'dhcp-zos.yaml'), 'utf8'), dhcpZosUnit(spec('10.0.0.5')));
    assert.equal(await readFile(join(dir, 'dhcp-zos.script'), 'utf8'), DHCP_ZOS_SCRIPT);
    assert.equal((await stat(join(dir, 'dhcp-zos.script'))).mode & 0o777, 0o755);
    assert.equal(z.loaded.get('dhcp-zos'), dhcpZosUnit(spec('10.0.0.5')));
    assert.equal(await dhcpZosInPlace(c, dir, spec('10.0.0.5')), true);
    const n = z.commands.length;
    assert.equal(await handoff(c, dir, spec('10.0.0.5'), log), 'unchanged');
    assert.deepEqual(z.commands.slice(n), ['status dhcp-zos']);
    assert.equal(await handoff(c, dir, spec('10.0.0.9'), log), 'reloaded');
    assert.deepEqual(z.commands.slice(n + 1).filter((x) => !x.startsWith('status') && !x.startsWith('forget')), ['stop dhcp-zos', 'monitor dhcp-zos']);
    assert.ok(z.commands.includes('forget dhcp-zos'));
    assert.equal(z.loaded.get('dhcp-zos'), dhcpZosUnit(spec('10.0.0.9')));
    assert.equal(await removeDhcpZos(c, dir, log), true);
    await assert.rejects(stat(join(dir, 'dhcp-zos.yaml')), { code: 'ENOENT' });
    assert.equal(z.services.has('dhcp-zos'), false);
    assert.equal(await removeDhcpZos(c, dir, log), false);
  });
}
