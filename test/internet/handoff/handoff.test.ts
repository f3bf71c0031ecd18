// handoff against the fake zinit (both generations): first monitor, unchanged rerun, reload;
// zinit's verdict on the unit (Failure, a client that keeps exiting) and a missing DHCP client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../lib/log.ts';
import { ZinitClient } from '../../../zinit/client.ts';
import {
  dhcpZosInPlace,
  dhcpZosUnit,
  handoff,
  removeDhcpZos,
  type HandoffTools,
} from '../../../internet/handoff/handoff.ts';
import { dhcpZosScript } from '../../../internet/handoff/dhcp-zos-script.ts';
import { waitDhcpZos } from '../../../internet/handoff/dhcp-zos-wait.ts';
import { startFakeZinit } from '../../helpers/fake-zinit.ts';

const log = createLogger(() => {});
const tools: HandoffTools = { client: { argv: ['/usr/bin/busybox', 'udhcpc'] }, ip: '/usr/sbin/ip' };
const FAST = { settleMs: 50, pollMs: 10 };

async function scratch(t: Parameters<typeof startFakeZinit>[0]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'handoff-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test(
  'unit text: our script keeps zos up, ' + "then execs the probe's client by absolute path, keeping the leased address",
  () => {
    assert.equal(
      dhcpZosUnit(
        { leasedIp: '10.0.0.5', script: '/run/internet/dhcp-zos.script', resolvConf: '/etc/resolv.conf' },
        tools,
      ),
      '# Written by internet: the permanent DHCP client on zos, renewing the lease the probe got.\n' +
        '# The script keeps zos up (udhcpc never recovers from a downed link), then execs the client.\n' +
        'exec: /run/internet/dhcp-zos.script run /usr/bin/busybox udhcpc -f -i zos -r 10.0.0.5 -a300' +
        ' -s /run/internet/dhcp-zos.script\n' +
        'env:\n  RESOLV_CONF: /etc/resolv.conf\nlog: stdout\n',
    );
    assert.match(dhcpZosScript('/sbin/ip'), /^IP=\/sbin\/ip$/m);
  },
);

for (const generation of [1, 2] as const) {
  test(
    `gen ${generation}: monitor until it runs, unchanged on rerun, ` +
      `stop/forget/monitor when the lease changed, remove`,
    async (t) => {
      const dir = await scratch(t);
      const z = await startFakeZinit(t, { dir, generation });
      const c = new ZinitClient(z.path);
      const spec = (leasedIp: string) => ({
        leasedIp,
        script: join(dir, 'dhcp-zos.script'),
        resolvConf: join(dir, 'resolv.conf'),
        tools,
      });
      assert.equal(await dhcpZosInPlace(c, dir, spec('10.0.0.5')), false);
      const first = await handoff(c, dir, spec('10.0.0.5'), log, FAST);
      assert.deepEqual(first, {
        action: 'monitored',
        service: { state: 'Running', pid: z.services.get('dhcp-zos')!.pid },
      });
      assert.ok(
        z.commands.filter((x) => x === 'status dhcp-zos').length >= 3,
        'asked zinit until the unit kept its pid',
      );
      assert.equal(await readFile(join(dir, 'dhcp-zos.yaml'), 'utf8'), dhcpZosUnit(spec('10.0.0.5'), tools));
      assert.equal(await readFile(join(dir, 'dhcp-zos.script'), 'utf8'), dhcpZosScript(tools.ip));
      assert.equal((await stat(join(dir, 'dhcp-zos.script'))).mode & 0o777, 0o755);
      assert.equal(z.loaded.get('dhcp-zos'), dhcpZosUnit(spec('10.0.0.5'), tools));
      assert.equal(await dhcpZosInPlace(c, dir, spec('10.0.0.5')), true);
      const n = z.commands.length;
      assert.equal((await handoff(c, dir, spec('10.0.0.5'), log, FAST)).action, 'unchanged');
      assert.ok(
        z.commands.slice(n).every((c) => c === 'status dhcp-zos'),
        `only asked: ${z.commands.slice(n).join('; ')}`,
      );
      // A script that lost its x bit cannot be exec'd by zinit: not in place, rewritten.
      await chmod(join(dir, 'dhcp-zos.script'), 0o644);
      assert.equal(await dhcpZosInPlace(c, dir, spec('10.0.0.5')), false);
      assert.equal((await handoff(c, dir, spec('10.0.0.5'), log, FAST)).action, 'unchanged');
      assert.equal((await stat(join(dir, 'dhcp-zos.script'))).mode & 0o777, 0o755);
      const m = z.commands.length;
      assert.equal((await handoff(c, dir, spec('10.0.0.9'), log, FAST)).action, 'reloaded');
      assert.deepEqual(
        z.commands.slice(m).filter((x) => !x.startsWith('status') && !x.startsWith('forget')),
        ['stop dhcp-zos', 'monitor dhcp-zos'],
      );
      assert.ok(z.commands.includes('forget dhcp-zos'));
      assert.equal(z.loaded.get('dhcp-zos'), dhcpZosUnit(spec('10.0.0.9'), tools));
      assert.equal(await removeDhcpZos(c, dir, log), true);
      await assert.rejects(stat(join(dir, 'dhcp-zos.yaml')), { code: 'ENOENT' });
      assert.equal(z.services.has('dhcp-zos'), false);
      assert.equal(await removeDhcpZos(c, dir, log), false);
    },
  );
}

test(
  'zinit cannot spawn dhcp-zos (Failure, never retried by zinit): ' + 'EDHCPZOS at once; the next hand-off reloads it',
  async (t) => {
    const dir = await scratch(t);
    const z = await startFakeZinit(t, { dir, generation: 1, spawnState: (_n, i) => (i === 1 ? 'Failure' : 'Running') });
    const c = new ZinitClient(z.path);
    const spec = {
      leasedIp: '10.0.0.5',
      script: join(dir, 'dhcp-zos.script'),
      resolvConf: join(dir, 'resolv.conf'),
      tools,
    };
    const t0 = Date.now();
    await assert.rejects(
      handoff(c, dir, spec, log, FAST),
      (e: Error & { code?: string; details?: { state?: string } }) =>
        e.code === 'EDHCPZOS' && e.details?.state === 'Failure' && /could not spawn dhcp-zos/.test(e.message),
    );
    assert.ok(Date.now() - t0 < 2000, 'no wait for a unit zinit will not retry');
    // Same file, unit known but not running: not in place, and not "unchanged".
    assert.equal(await dhcpZosInPlace(c, dir, spec), false);
    const again = await handoff(c, dir, spec, log, FAST);
    assert.equal(again.action, 'reloaded');
    assert.equal(again.service?.state, 'Running');
    assert.deepEqual(
      z.commands.filter((x) => /^(monitor|stop|forget)/.test(x)),
      ['monitor dhcp-zos', 'stop dhcp-zos', 'forget dhcp-zos', 'monitor dhcp-zos'],
    );
  },
);

test(
  'a client that keeps exiting (Running/Error flapping, ' +
    'new pid each time) never counts as running: EDHCPZOS after the bound',
  async (t) => {
    const dir = await scratch(t);
    const z = await startFakeZinit(t, { dir, generation: 1, services: { 'dhcp-zos': 'Running' } });
    let pid = 300;
    const flap = setInterval(() => {
      const s = z.services.get('dhcp-zos')!;
      if (s.state === 'Running') Object.assign(s, { state: `Error(Exited(Pid(${s.pid}), 1))`, pid: 0 });
      else Object.assign(s, { state: 'Running', pid: pid++ });
    }, 20);
    t.after(() => clearInterval(flap));
    await assert.rejects(
      waitDhcpZos(new ZinitClient(z.path), { timeoutMs: 600, settleMs: 300, pollMs: 10 }),
      (e: Error & { code?: string }) => e.code === 'EDHCPZOS' && /not running 600 ms after monitor/.test(e.message),
    );
  },
);

test('no DHCP client (gone since resolved): EDHCPCLIENT before zinit is told anything, no unit written', async (t) => {
  const dir = await scratch(t);
  const z = await startFakeZinit(t, { dir, generation: 1 });
  const spec = {
    leasedIp: '10.0.0.5',
    script: join(dir, 'dhcp-zos.script'),
    resolvConf: join(dir, 'r'),
    tools: { client: { argv: [join(dir, 'no-udhcpc')] }, ip: '/usr/sbin/ip' },
  };
  await assert.rejects(handoff(new ZinitClient(z.path), dir, spec, log, FAST), { code: 'EDHCPCLIENT' });
  assert.deepEqual(z.commands, []);
  await assert.rejects(stat(join(dir, 'dhcp-zos.yaml')), { code: 'ENOENT' });
});
