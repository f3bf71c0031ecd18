// The dhcp-zos unit the agent hands to zinit, run for real (busybox udhcpc with our hook script)
// on the configured node: zos keeps its address and default route the whole time, the server
// renews the same lease, and DNS goes to the unit's RESOLV_CONF.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { ipJson } from '../../../lib/ip.ts';
import { commandIn } from '../../../lib/netns.ts';
import { shellSplit } from '../../../internet/cmdline.ts';
import { addNic, makeTopology, startDnsmasq } from '../../helpers/topology.ts';
import { agentEnv, runAgentE2E, waitFor } from '../../helpers/agent-run.ts';

test('dhcp-zos renews the same lease without ever taking the address or route off zos', async (t) => {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  await startDnsmasq(t, topo, nic, { net: '10.69.1', dns: ['10.69.1.53'] });
  const env = await agentEnv(t, topo);
  const r = await runAgentE2E(env, ['eth1']);
  assert.equal(r.code, 0, r.out);
  const unit = await readFile(`${env.zinitDir}/dhcp-zos.yaml`, 'utf8');
  const exec = shellSplit(/^exec: (.*)$/m.exec(unit)![1]!);
  const resolvConf = /^ {2}RESOLV_CONF: (.*)$/m.exec(unit)![1]!;
  assert.equal(resolvConf, env.resolv);
  assert.equal(exec[0], 'udhcpc');
  const v4 = async () => {
    const [l] = await ipJson<{ addr_info: { local: string; prefixlen: number }[] }>({ name: topo.node }, ['-4', 'addr', 'show', 'dev', 'zos']);
    const d = await ipJson<{ gateway?: string }>({ name: topo.node }, ['-4', 'route', 'show', 'default', 'dev', 'zos']);
    return `${l?.addr_info.map((a) => `${a.local}/${a.prefixlen}`).join(',')} via ${d[0]?.gateway}`;
  };
  const before = await v4();
  assert.match(before, /^10\.69\.1\.\d+\/24 via 10\.69\.1\.1$/);
  // As zinit would run it (exec split with shlex, env added); busybox provides udhcpc here.
  const p = spawn(...commandIn({ name: topo.node }, 'busybox', [...exec]), { env: { ...process.env, RESOLV_CONF: resolvConf }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  t.after(() => { p.kill('SIGKILL'); });
  const seen = new Set<string>();
  await waitFor('lease renewed', async () => { seen.add(await v4()); return /lease of \S+ obtained/.test(out); }, 20_000);
  for (let i = 0; i < 5; i++) seen.add(await v4());
  assert.deepEqual([...seen], [before], `zos changed while udhcpc started:\n${out}`);
  assert.match(out, new RegExp(`lease of ${before.split('/')[0]!.replace(/\./g, '\\.')} obtained`));
  assert.equal(await readFile(env.resolv, 'utf8'), 'nameserver 10.69.1.53\n');
});
