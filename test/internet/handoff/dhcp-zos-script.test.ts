// dhcp-zos's script run as udhcpc runs it (its environment, deconfig then bound) with the
// image's shell (busybox sh), on a link named zos in a namespace made for the test: the first
// deconfig leaves the probe's lease alone, a later one flushes; a lease whose option-121 gateway
// lies outside the subnet gets its default route (onlink, as the agent does it); a router the
// probe would refuse (own address, 0.0.0.0, off-subnet without option 121, an on-link option-121
// default) changes no default route; DNS as the agent writes it. `run` keeps zos up while the
// client runs and leaves nothing behind when it exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ip, ipJson, listLinks } from '../../../lib/ip.ts';
import { netnsPids, runIn } from '../../../lib/netns.ts';
import { dhcpZosScript } from '../../../internet/handoff/dhcp-zos-script.ts';
import { ipPath } from '../../../lib/tools.ts';
import { addNic, makeTopology, type Topology } from '../../helpers/topology.ts';
import { waitFor } from '../../helpers/agent-run.ts';

interface Route {
  dst: string;
  gateway?: string;
  scope?: string;
  flags?: string[];
}

async function setup(t: Parameters<typeof makeTopology>[0]) {
  const topo = await makeTopology(t);
  await addNic(topo, 'zos');
  await ip({ name: topo.node }, ['link', 'set', 'zos', 'up']);
  const script = join(topo.dir, 'dhcp-zos.script');
  await writeFile(script, dhcpZosScript(await ipPath()), { mode: 0o755 });
  const resolv = join(topo.dir, 'resolv.conf');
  // As udhcpc calls it: `script <event>` with the lease in the environment (and nothing else set).
  const hook = (event: string, lease: Record<string, string> = {}) =>
    runIn({ name: topo.node }, 'busybox', ['sh', script, event], {
      env: { PATH: process.env.PATH ?? '', RESOLV_CONF: resolv, interface: 'zos', ...lease },
    });
  return { topo, script, resolv, hook };
}

async function v4(topo: Topology): Promise<{ addrs: string[]; routes: Route[] }> {
  const [l] = await ipJson<{ addr_info: { local: string; prefixlen: number }[] }>({ name: topo.node }, [
    '-4',
    'addr',
    'show',
    'dev',
    'zos',
  ]);
  const routes = await ipJson<Route>({ name: topo.node }, ['-4', 'route', 'show', 'dev', 'zos']);
  return { addrs: (l?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`), routes };
}

const route = (rs: Route[], dst: string) => rs.find((r) => r.dst === dst);

test(
  'hook: first deconfig keeps the lease; a lost lease flushes; ' +
    'off-subnet option-121 gateways get onlink routes; an unusable router keeps the previous default',
  async (t) => {
    const { topo, resolv, hook } = await setup(t);
    await ip({ name: topo.node }, ['-4', 'addr', 'add', '10.71.1.150/24', 'dev', 'zos']);
    await ip({ name: topo.node }, ['-4', 'route', 'add', 'default', 'via', '10.71.1.1', 'dev', 'zos']);
    await hook('deconfig');
    assert.deepEqual((await v4(topo)).addrs, ['10.71.1.150/24'], 'udhcpc starting leaves the probe lease on zos');
    await hook('bound', { ip: '10.71.1.150', mask: '24', router: '10.71.1.1', dns: '10.71.1.53', domain: 'lab' });
    assert.equal(route((await v4(topo)).routes, 'default')?.gateway, '10.71.1.1');
    assert.equal(
      await readFile(resolv, 'utf8'),
      '# written by internet (DHCP on zos)\nsearch lab\nnameserver 10.71.1.53\n',
    );

    await hook('deconfig'); // a second deconfig from the same udhcpc: the lease is really gone
    assert.deepEqual(await v4(topo), { addrs: [], routes: [] });

    // A /32 lease whose router no option 121 reaches: the probe refuses it, so does the hook.
    const lone = await hook('bound', { ip: '10.71.9.7', mask: '32', router: '10.71.9.1' });
    let now = await v4(topo);
    assert.deepEqual(now.addrs, ['10.71.9.7/32']);
    assert.equal(route(now.routes, 'default'), undefined, JSON.stringify(now.routes));
    assert.match(lone.stdout, /router 10\.71\.9\.1 is outside 10\.71\.9\.7\/32/);

    await hook('renew', {
      ip: '10.71.1.160',
      mask: '24',
      router: '10.71.1.1',
      staticroutes: '10.99.0.0/16 192.0.2.1 0.0.0.0/0 192.0.2.1 10.98.0.0/16 0.0.0.0',
    });
    now = await v4(topo);
    assert.deepEqual(now.addrs, ['10.71.1.160/24'], 'the old address is gone');
    assert.equal(
      route(now.routes, 'default')?.gateway,
      '192.0.2.1',
      'option 121 replaces the router option (RFC 3442)',
    );
    assert.ok(route(now.routes, 'default')?.flags?.includes('onlink'));
    assert.equal(route(now.routes, '10.99.0.0/16')?.gateway, '192.0.2.1');
    assert.equal(route(now.routes, '10.98.0.0/16')?.scope, 'link');

    // Renewals the probe would refuse keep the default route there is, and say so.
    for (const lease of <Record<string, string>[]>[
      { ip: '10.71.1.160', mask: '24', router: '10.71.1.160' },
      { ip: '10.71.1.160', mask: '24', router: '0.0.0.0' },
      { ip: '10.71.1.160', mask: '24', router: '10.72.0.1' },
      { ip: '10.71.1.160', mask: '24', staticroutes: '0.0.0.0/0 0.0.0.0' },
    ]) {
      const r = await hook('renew', lease);
      now = await v4(topo);
      assert.equal(
        route(now.routes, 'default')?.gateway,
        '192.0.2.1',
        `${JSON.stringify(lease)}: ${JSON.stringify(now.routes)}`,
      );
      assert.equal(now.routes.filter((x) => x.dst === 'default').length, 1, 'no second (on-link) default');
      assert.match(r.stdout, /no usable router in the lease: the previous default route stays/);
    }
  },
);

test(
  'run: brings a downed zos up at start and while the client runs (then has it renew); ' + 'nothing left once it exits',
  async (t) => {
    const { topo, script } = await setup(t);
    await ip({ name: topo.node }, ['link', 'set', 'zos', 'down']);
    const up = async () => (await listLinks({ name: topo.node }, 'zos'))[0]?.flags.includes('UP') ?? false;
    // The client here is a 5 s shell that says when it is told to renew (SIGUSR1); /sys is the
    // machine's, so the watcher asks ip (its fallback).
    const fake = 'trap "echo renew-requested" USR1; i=0; while [ $i -lt 25 ]; do sleep 0.2; i=$((i+1)); done';
    const client = runIn({ name: topo.node }, 'busybox', ['sh', script, 'run', 'busybox', 'sh', '-c', fake], {
      timeoutMs: 20_000,
    });
    await waitFor('zos up at start', up, 5000);
    await ip({ name: topo.node }, ['link', 'set', 'zos', 'down']);
    await waitFor('zos up again', up, 5000);
    const r = await client;
    assert.equal(r.stdout.match(/dhcp-zos: zos is down, bringing it up/g)?.length, 2, r.stdout);
    assert.equal(r.stdout.match(/renew-requested/g)?.length, 1, 'renewed once: the start needs none');
    await waitFor('the watcher gone with its client', async () => (await netnsPids(topo.node)).length === 0, 5000);
  },
);
