// `make demo-netns`: a small namespace network (one NIC with a DHCP server among a silent and an
// unplugged one, all veth, random namespace names), dist/internet.js run in it with its log
// streamed, then `internet status` and zos's addresses and routes. Everything is torn down at
// the end, on error and on Ctrl-C. Never touches the machine's own namespace.
import { run } from '../../lib/exec.ts';
import { AGENT, agentEnv, startAgent } from '../helpers/agent-run.ts';
import { addNic, makeTopology, sh, startDnsmasq } from '../helpers/topology.ts';
import { cleanups } from './cleanups.ts';

const { ctx, teardown } = cleanups('demo: namespaces and servers removed');

const say = (s: string) => console.log(`\n=== ${s}`);

async function main(): Promise<void> {
  say('building the network: node namespace with eth1 (DHCP), eth2 (silent), eth3 (unplugged)');
  const topo = await makeTopology(ctx);
  const good = await addNic(topo, 'eth1');
  await addNic(topo, 'eth2');
  await addNic(topo, 'eth3', { plugged: false });
  await startDnsmasq(ctx, topo, good, { net: '10.42.7', dns: ['10.42.7.1'] });
  console.log(`node=${topo.node} switch=${topo.sw} (dnsmasq on eth1's peer, router 10.42.7.1)`);
  const env = await agentEnv(ctx, topo, 'console=ttyS0');
  console.log(`fake zinit at ${env.zinit.path}`);

  say(`running: nsenter --net=/run/netns/${topo.node} node dist/internet.js --nics eth1,eth2,eth3 ...`);
  const agent = startAgent(env, ['eth1', 'eth2', 'eth3']);
  // Stop a running agent the way zinit would (SIGTERM: it brings its NICs home), then make sure.
  ctx.after(async () => {
    if (agent.proc.exitCode !== null || agent.proc.signalCode !== null) return;
    const killer = setTimeout(() => agent.proc.kill('SIGKILL'), 10_000);
    agent.proc.kill('SIGTERM');
    await agent.done;
    clearTimeout(killer);
  });
  agent.proc.stdout!.on('data', (d: Buffer) =>
    process.stdout.write(
      d
        .toString()
        .replace(/^/gm, '  | ')
        .replace(/ {2}\| $/, ''),
    ),
  );
  agent.proc.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
  const r = await agent.done;
  console.log(`agent exited ${r.code ?? r.signal} after ${r.ms} ms`);

  say('node dist/internet.js status');
  const st = await run(process.execPath, [AGENT, 'status', '--status', env.status], { allowFailure: true });
  process.stdout.write(st.stdout.split('\n\n')[0] + '\n');

  say('ip addr show dev zos; ip route (in the node namespace)');
  process.stdout.write(await sh(topo.node, 'ip', ['addr', 'show', 'dev', 'zos']).catch((e: Error) => e.message + '\n'));
  process.stdout.write(await sh(topo.node, 'ip', ['route']));
  say('what zinit was told (the first line asks which protocol generation the socket speaks)');
  console.log(env.zinit.commands.join('\n'));
  if (r.code !== 0) process.exitCode = 1;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    console.log(`\ndemo: ${sig}, tearing down`);
    void teardown().then(() => process.exit(130));
  });
}
main()
  .catch((err: unknown) => {
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  })
  .finally(() => teardown());
