// dist/internet.js end to end in a node namespace: the happy path, its hand-off (to the real
// zinit, and to a fake of generation 2) and status, and a rerun on the configured node that
// changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../lib/exec.ts';
import { ipJson, listLinks } from '../../lib/ip.ts';
import { addNic, makeTopology, startDnsmasq } from '../helpers/topology.ts';
import { AGENT, agentEnv, netSnapshot, probeNamespacesOf, realAgentEnv, runAgentE2E } from '../helpers/agent-run.ts';
import { dhcpZosUnit } from '../../internet/handoff/handoff.ts';
import { findDhcpClient, ipPath } from '../../lib/tools.ts';
import type { AgentStatus } from '../../internet/status.ts';

// Generation 1 is the real zinit v0.2.14 (test/helpers/zinit-real.ts); generation 2 the fake.
for (const generation of [1, 2] as const) {
  const zinit = generation === 1 ? 'the real zinit (gen 1)' : 'a fake zinit gen 2';
  test(`one DHCP NIC among silent and unplugged ones: zos online, dhcp-zos handed to ${zinit}`, async (t) => {
    const topo = await makeTopology(t);
    const good = await addNic(topo, 'eth1');
    await addNic(topo, 'eth2');
    await addNic(topo, 'eth3', { plugged: false });
    await addNic(topo, 'eth4');
    await startDnsmasq(t, topo, good, { net: '10.64.1', dns: ['10.64.1.53'], mtu: 1480 });
    const env =
      generation === 1
        ? await realAgentEnv(t, topo, 'console=ttyS0 zos-debug')
        : await agentEnv(t, topo, 'console=ttyS0 zos-debug', 2);
    const zinit = env.zinit;
    // What zinit says about dhcp-zos (the fake records commands; the real one is asked).
    const dhcpZos = async () =>
      ('services' in zinit ? zinit.services.get('dhcp-zos') : await zinit.client.status('dhcp-zos')) ?? undefined;
    const r = await runAgentE2E(env, ['eth1', 'eth2', 'eth3', 'eth4']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^debug /m, 'zos-debug turns on debug lines');
    const [zos] = await listLinks({ name: topo.node }, 'zos');
    assert.equal(zos?.address, good.mac);
    assert.equal(zos?.mtu, 1480);
    assert.equal((await listLinks({ name: topo.node }, 'eth1'))[0]?.master, 'zos');
    const addr = (
      await ipJson<{ addr_info: { family: string; local: string; prefixlen: number }[] }>({ name: topo.node }, [
        '-4',
        'addr',
        'show',
        'dev',
        'zos',
      ])
    )[0]!.addr_info[0]!;
    assert.match(addr.local, /^10\.64\.1\.\d+$/);
    const def = await ipJson<{ gateway: string; dev: string }>({ name: topo.node }, ['-4', 'route', 'show', 'default']);
    assert.deepEqual(
      def.map((d) => [d.gateway, d.dev]),
      [['10.64.1.1', 'zos']],
    );
    assert.equal(await readFile(env.resolv, 'utf8'), '# written by internet (DHCP on zos)\nnameserver 10.64.1.53\n');
    const spec = { leasedIp: addr.local, script: join(topo.dir, 'dhcp-zos.script'), resolvConf: env.resolv };
    const tools = { client: await findDhcpClient(), ip: await ipPath() }; // what the agent resolves from the same PATH
    assert.equal(await readFile(`${env.zinitDir}/dhcp-zos.yaml`, 'utf8'), dhcpZosUnit(spec, tools));
    if ('loaded' in zinit) assert.equal(zinit.loaded.get('dhcp-zos'), dhcpZosUnit(spec, tools));
    const running = await dhcpZos();
    assert.equal(running?.state, 'Running', 'output' in zinit ? zinit.output() : '');
    const s = JSON.parse(await readFile(env.status, 'utf8')) as AgentStatus;
    assert.equal(s.phase, 'online');
    assert.equal(s.nic, 'eth1');
    assert.equal(s.mac, good.mac);
    assert.deepEqual(s.addresses, [`${addr.local}/24`]);
    assert.deepEqual(s.gateways, ['10.64.1.1']);
    assert.equal(s.handoff, 'monitored');
    assert.deepEqual(s.dhcpZos, { state: 'Running', pid: running!.pid });
    assert.ok(s.totalMs! > 0);
    assert.deepEqual(s.probes.map((p) => p.nic).sort(), ['eth1', 'eth2', 'eth3', 'eth4']);
    assert.ok(s.probes.find((p) => p.nic === 'eth1')!.v4!.atMs > 0);
    assert.equal(s.probes.find((p) => p.nic === 'eth3')!.state, 'waiting-carrier');
    assert.deepEqual(await probeNamespacesOf(topo.node), []);
    for (const n of ['eth2', 'eth3', 'eth4'])
      assert.equal((await listLinks({ name: topo.node }, n)).length, 1, `${n} is home`);
    // `internet status` prints it.
    const st = await run(process.execPath, [AGENT, 'status', '--status', env.status]);
    assert.match(st.stdout, /^online via eth1 /);
    assert.match(st.stdout, /"phase": "online"/);

    // Rerun on the configured node: exit 0 fast, nothing changed, nothing new told to zinit.
    const before = await netSnapshot(topo.node);
    const again = await runAgentE2E(env, ['eth1', 'eth2', 'eth3', 'eth4']);
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /already-configured/);
    assert.ok(again.ms < 5000, `rerun took ${again.ms} ms`);
    assert.equal(await netSnapshot(topo.node), before);
    assert.deepEqual(await dhcpZos(), running, 'the same dhcp-zos, untouched');
    if ('commands' in zinit) assert.equal(zinit.commands.filter((c) => c.startsWith('monitor')).length, 1);
    t.diagnostic(`first run ${r.ms} ms (agent total ${s.totalMs} ms), rerun ${again.ms} ms`);
  });
}
