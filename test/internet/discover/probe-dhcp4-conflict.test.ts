// An offered address another host on the segment already holds is declined (busybox udhcpc -a:
// an ARP probe before the address is taken, RFC 5227 / RFC 2131 4.4.1 DHCPDECLINE), and the
// probe ends up with another address. dnsmasq here pins the offer to the squatted address and
// does not ping it first (--no-ping): the client alone must notice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ip } from '../../../lib/ip.ts';
import { netnsNamed } from '../../../lib/netns.ts';
import { parseLease, runUdhcpc, writeUdhcpcScript } from '../../../internet/discover/probe-dhcp4.ts';
import { addNic, makeTopology, startDnsmasq } from '../../helpers/topology.ts';
import { makeNetns, randomName } from '../../helpers/netns.ts';
import { setupVeth } from '../../../lib/link.ts';
import { waitFor } from '../../helpers/agent-run.ts';

test('an offered address already in use on the segment is declined; the probe takes another', async (t) => {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  const net = '10.83.4';
  // The segment: a bridge in the switch namespace joining the node's NIC and a squatter host
  // that holds .150 (dnsmasq serves on the bridge).
  const sw = netnsNamed(topo.sw);
  const br = randomName('br');
  await ip(sw, ['link', 'add', br, 'type', 'bridge']);
  await ip(sw, ['link', 'set', nic.peer, 'master', br, 'up']);
  const squatter = await makeNetns(t, 'tsq');
  const sqPeer = randomName('q');
  await setupVeth({ ref: sw, name: sqPeer, peer: 'eth0', peerNs: netnsNamed(squatter) });
  await ip(sw, ['link', 'set', sqPeer, 'master', br, 'up']);
  await ip(netnsNamed(squatter), ['addr', 'add', `${net}.150/24`, 'dev', 'eth0']);
  await ip(netnsNamed(squatter), ['link', 'set', 'eth0', 'up']);
  const srv = await startDnsmasq(
    t,
    topo,
    { ...nic, peer: br },
    { net, noPing: true, extra: [`--dhcp-host=${nic.mac},${net}.150`] },
  );
  await ip(netnsNamed(topo.node), ['link', 'set', nic.name, 'up']);
  const dir = await mkdtemp(join(tmpdir(), 'probe-conflict-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const script = await writeUdhcpcScript(dir);
  const r = await runUdhcpc({ name: topo.node }, nic.name, script, 4, new AbortController().signal);
  const p = parseLease(r.stdout);
  await srv.stop(); // its log is written when it exits
  const logFile = join(topo.dir, `dnsmasq-${br}.log`);
  await waitFor(
    'the dnsmasq log',
    () =>
      readFile(logFile).then(
        () => true,
        () => false,
      ),
    30_000,
  );
  const log = await readFile(logFile, 'utf8');
  assert.ok(p.ok, `no lease: ${r.stderr}\n${log}`);
  assert.notEqual(p.lease.address, `${net}.150`, `took the squatted address\n${r.stderr}`);
  assert.match(p.lease.address, new RegExp(`^${net.replace(/\./g, '\\.')}\\.(1\\d\\d|200)$`));
  assert.match(log, /DHCPDECLINE/, 'the client told the server');
});

test('the address the NIC itself holds is no conflict (dhcp-zos renews the lease already on zos)', async (t) => {
  const topo = await makeTopology(t);
  const nic = await addNic(topo, 'eth1');
  const net = '10.83.5';
  await startDnsmasq(t, topo, nic, { net, noPing: true, extra: [`--dhcp-host=${nic.mac},${net}.150`] });
  await ip(netnsNamed(topo.node), ['addr', 'add', `${net}.150/24`, 'dev', nic.name]);
  await ip(netnsNamed(topo.node), ['link', 'set', nic.name, 'up']);
  const dir = await mkdtemp(join(tmpdir(), 'probe-conflict-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const r = await runUdhcpc(
    { name: topo.node },
    nic.name,
    await writeUdhcpcScript(dir),
    4,
    new AbortController().signal,
  );
  const p = parseLease(r.stdout);
  assert.ok(p.ok, r.stderr);
  assert.equal(p.lease.address, `${net}.150`, r.stderr);
});
