// The hand-off under the real zinit v0.2.14 (test/helpers/zinit-real.ts): zinit spawns dhcp-zos
// from the unit the agent wrote, it runs, and zos keeps its one lease across a renewal; zos
// taken down comes back up; an agent that starts before zinit binds its socket waits for it; a
// client zinit cannot keep running is no hand-off, and the retry reloads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ip, ipJson, listLinks } from '../../../lib/ip.ts';
import { addNic, makeTopology, startDnsmasq, type Topology } from '../../helpers/topology.ts';
import { realAgentEnv, runAgentE2E, startAgent, waitFor } from '../../helpers/agent-run.ts';
import { startRealZinit, waitStatus } from '../../helpers/zinit-real.ts';
import type { AgentStatus } from '../../../internet/status.ts';
import { handoff } from '../../../internet/handoff/handoff.ts';
import { ipPath } from '../../../lib/tools.ts';
import { createLogger } from '../../../lib/log.ts';

const log = createLogger(() => {});

/** zos's IPv4 addresses and default route, as one comparable string. */
async function v4(topo: Topology): Promise<string> {
  const [l] = await ipJson<{ addr_info: { local: string; prefixlen: number }[] }>({ name: topo.node }, [
    '-4',
    'addr',
    'show',
    'dev',
    'zos',
  ]);
  const d = await ipJson<{ gateway?: string }>({ name: topo.node }, ['-4', 'route', 'show', 'default', 'dev', 'zos']);
  return `${l?.addr_info.map((a) => `${a.local}/${a.prefixlen}`).join(',')} via ${d.map((r) => r.gateway).join(',')}`;
}

/** dnsmasq's lease file: one `expiry mac ip ...` line per lease. */
async function leases(topo: Topology, peer: string): Promise<string[][]> {
  const text = await readFile(join(topo.dir, `dnsmasq-${peer}.leases`), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '));
}

const obtained = (out: string) => (out.match(/lease of \S+ obtained/g) ?? []).length;

test(
  "real zinit: dhcp-zos spawned and running the probe's own client; " + 'zos keeps its one lease across a renewal',
  async (t) => {
    const topo = await makeTopology(t);
    const nic = await addNic(topo, 'eth1');
    await startDnsmasq(t, topo, nic, { net: '10.69.2', dns: ['10.69.2.53'], leaseSeconds: 120 });
    // A udhcpc of its own on PATH (before busybox): it must be what the probe and dhcp-zos both run.
    const bin = join(topo.dir, 'bin');
    await mkdir(bin);
    const calls = join(topo.dir, 'udhcpc-calls');
    await writeFile(join(bin, 'udhcpc'), `#!/bin/sh\necho "$*" >> ${calls}\nexec /usr/bin/busybox udhcpc "$@"\n`, {
      mode: 0o755,
    });
    const env = { ...(await realAgentEnv(t, topo)), vars: { PATH: `${bin}:${process.env.PATH}` } };
    const z = env.zinit;
    const r = await runAgentE2E(env, ['eth1']);
    assert.equal(r.code, 0, `${r.out}\nzinit:\n${z.output()}`);
    assert.match(
      await readFile(join(env.zinitDir, 'dhcp-zos.yaml'), 'utf8'),
      new RegExp(`^exec: \\S+ run ${bin}/udhcpc -f -i zos -r `, 'm'),
    );
    const s = JSON.parse(await readFile(env.status, 'utf8')) as AgentStatus;
    assert.equal(s.phase, 'online');
    assert.equal(s.handoff, 'monitored');
    assert.equal(s.dhcpZos?.state, 'Running');
    const st = await z.client.status('dhcp-zos');
    assert.equal(st?.state, 'Running', z.output());
    assert.equal(st?.pid, s.dhcpZos?.pid);
    const before = await v4(topo);
    assert.match(before, /^10\.69\.2\.\d+\/24 via 10\.69\.2\.1$/);
    const address = before.split('/')[0]!;
    const seen = new Set<string>([before]);
    await waitFor(
      'dhcp-zos bound its lease',
      async () => {
        seen.add(await v4(topo));
        return obtained(z.output()) >= 1;
      },
      20_000,
    );
    assert.match(z.output(), new RegExp(`lease of ${address.replace(/\./g, '\\.')} obtained`));
    const [first] = await leases(topo, nic.peer);
    assert.equal((await leases(topo, nic.peer)).length, 1);
    assert.equal(first![2], address);
    // A renewal, as udhcpc does it at T1, forced through zinit (SIGUSR1 to the unit's group).
    await new Promise((res) => setTimeout(res, 1100)); // dnsmasq's expiry has a one-second grain
    await z.cli(['kill', 'dhcp-zos', 'SIGUSR1']);
    await waitFor(
      'dhcp-zos renewed',
      async () => {
        seen.add(await v4(topo));
        return obtained(z.output()) >= 2;
      },
      20_000,
    );
    for (let i = 0; i < 5; i++) seen.add(await v4(topo));
    assert.deepEqual([...seen], [before], `zos changed:\n${z.output()}`);
    const after = await leases(topo, nic.peer);
    assert.equal(after.length, 1, JSON.stringify(after));
    assert.equal(after[0]![2], address);
    assert.ok(Number(after[0]![0]) > Number(first![0]), `lease renewed: expiry ${first![0]} -> ${after[0]![0]}`);
    assert.equal(await readFile(env.resolv, 'utf8'), '# written by internet (DHCP on zos)\nnameserver 10.69.2.53\n');
    const still = await z.client.status('dhcp-zos');
    assert.deepEqual([still?.state, still?.pid], ['Running', st?.pid], 'the same udhcpc all along');
    const runs = (await readFile(calls, 'utf8')).split('\n').filter(Boolean);
    assert.ok(
      runs.some((l) => /^-i eth1 .*-q -n/.test(l)),
      `the probe ran it: ${runs.join(' | ')}`,
    );
    assert.ok(
      runs.some((l) => new RegExp(`^-f -i zos -r ${address.replace(/\./g, '\\.')} `).test(l)),
      `dhcp-zos ran it: ${runs.join(' | ')}`,
    );
  },
);

test(
  'real zinit: zos taken down under dhcp-zos comes back up with its routes (the client renews), ' +
    'again after a renew signal',
  async (t) => {
    const topo = await makeTopology(t);
    const nic = await addNic(topo, 'eth1');
    await startDnsmasq(t, topo, nic, { net: '10.69.3', leaseSeconds: 120 });
    const env = await realAgentEnv(t, topo);
    const z = env.zinit;
    const r = await runAgentE2E(env, ['eth1']);
    assert.equal(r.code, 0, `${r.out}\nzinit:\n${z.output()}`);
    await waitFor('dhcp-zos bound its lease', () => obtained(z.output()) >= 1, 20_000);
    const pid = (await z.client.status('dhcp-zos'))?.pid;
    const online = await v4(topo);
    assert.match(online, /^10\.69\.3\.\d+\/24 via 10\.69\.3\.1$/);
    const downs = () => (z.output().match(/dhcp-zos: zos is down, bringing it up/g) ?? []).length;
    // Down: the kernel drops zos's routes too. Back up, and the client's renewal puts them back.
    const downAndBack = async (n: number) => {
      await ip({ name: topo.node }, ['link', 'set', 'zos', 'down']);
      await waitFor(
        `zos up again (${n})`,
        async () => (await listLinks({ name: topo.node }, 'zos'))[0]?.flags.includes('UP') ?? false,
        10_000,
      );
      await waitFor(`zos online again (${n})`, async () => (await v4(topo)) === online, 20_000);
      assert.equal(downs(), n);
    };
    await downAndBack(1);
    const n = obtained(z.output());
    await z.cli(['kill', 'dhcp-zos', 'SIGUSR1']); // zinit signals the unit's whole group
    await waitFor('renewed', () => obtained(z.output()) > n, 20_000);
    await downAndBack(2); // the watcher outlived that signal
    assert.equal((await z.client.status('dhcp-zos'))?.pid, pid, 'the same udhcpc');
  },
);

test('real zinit: an agent started before zinit binds its socket waits for it, then hands off', async (t) => {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  await startDnsmasq(t, topo, nic, { net: '10.69.4', leaseSeconds: 120 });
  const env = await realAgentEnv(t, topo);
  await env.zinit.stop(); // a socket path nobody serves yet
  const socket = join(topo.dir, 'late-zinit.sock');
  const a = startAgent({ ...env, zinit: { path: socket } }, ['eth1']);
  t.after(() => {
    a.proc.kill('SIGKILL');
  });
  await waitFor('agent waits for the socket', () => /zinit-socket-wait/.test(a.output()), 10_000);
  await new Promise((res) => setTimeout(res, 1000));
  const z = await startRealZinit(t, { ns: topo.node, dir: env.zinitDir, socket, waitSocket: false });
  const r = await a.done;
  assert.equal(r.code, 0, `${r.out}\nzinit:\n${z.output()}`);
  assert.match(r.out, /zinit-socket-ready .*waitedMs=\d+/);
  const st = await waitStatus(z, 'dhcp-zos', (s) => s?.state === 'Running', 5000);
  assert.equal(st?.state, 'Running', z.output());
});

test(
  'real zinit: a client that cannot run is no hand-off (EDHCPZOS naming the state); ' +
    'fixed, the retry reloads it and it runs',
  async (t) => {
    const topo = await makeTopology(t);
    const dir = join(topo.dir, 'zinit');
    const z = await startRealZinit(t, { ns: topo.node, dir });
    // Executable (the agent's check passes) but its interpreter is missing: every spawn exits at once.
    const client = join(topo.dir, 'udhcpc');
    await writeFile(client, '#!/nonexistent/sh\n', { mode: 0o755 });
    const spec = {
      leasedIp: '10.69.5.7',
      script: join(topo.dir, 'dhcp-zos.script'),
      resolvConf: join(topo.dir, 'resolv.conf'),
      tools: { client: { argv: [client] }, ip: await ipPath() },
    };
    // A settle of 1 s (the agent's is 0.2 s): a loaded machine may take longer than 0.2 s to fail the exec.
    await assert.rejects(
      handoff(z.client, dir, spec, log, { timeoutMs: 4000, settleMs: 1000 }),
      (e: Error & { code?: string }) =>
        e.code === 'EDHCPZOS' && /not running 4000 ms after monitor \(state /.test(e.message),
    );
    // The fix: a client that runs (it waits, as udhcpc -f does). Put in place by rename: zinit
    // respawns the broken one every 2 s, and writing over a file being exec'd is ETXTBSY.
    await writeFile(`${client}.new`, '#!/bin/sh\nexec sleep 600\n', { mode: 0o755 });
    await rename(`${client}.new`, client);
    const r = await handoff(z.client, dir, spec, log);
    // Reloaded by us, or already restarted by zinit itself (2 s after each exit) with the fixed client.
    assert.ok(['reloaded', 'unchanged'].includes(r.action), r.action);
    assert.equal(r.service?.state, 'Running');
    const st = await waitStatus(z, 'dhcp-zos', () => false, 1000);
    assert.deepEqual([st?.state, st?.pid], ['Running', r.service?.pid], 'still the same process a second later');
  },
);
