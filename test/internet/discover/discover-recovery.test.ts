// Exit paths: SIGKILL mid-probe then recovery, SIGTERM (abort) cleanup, a lease without router,
// VLAN on a kernel without 8021q. Each ends with nothing left behind.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { listNetns, netnsPids } from '../../../lib/netns.ts';
import { listLinks } from '../../../lib/ip.ts';
import { addNic, makeTopology, spawnIn, startDnsmasq } from '../../helpers/topology.ts';
import { assertClean, probePrefixOf, spawnDiscover, waitForLog } from './fixtures/spawn-discover.ts';

/** Running (a zombie waiting for its reaper counts as dead). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('exit paths', { concurrency: true }, () => {
  test('SIGKILL mid-probe strands NICs; recovery brings them home and removes the namespaces', async (t) => {
    const topo = await makeTopology(t);
    await addNic(topo, 'eth1');
    await addNic(topo, 'eth2');
    const prefix = probePrefixOf(topo);
    // (makeTopology's teardown removes leftover probe namespaces should recovery fail.)
    const first = spawnDiscover(t, topo, ['--nics', 'eth1,eth2']);
    await waitForLog(
      first.stderrSoFar,
      /probe-started nic=eth1[\s\S]*probe-started nic=eth2|probe-started nic=eth2[\s\S]*probe-started nic=eth1/,
      60_000,
    );
    first.proc.kill('SIGKILL');
    await first.done;
    const stranded = (await listNetns()).filter((n) => n.startsWith(prefix));
    assert.equal(stranded.length, 2, 'both NICs were in probe namespaces when killed');
    assert.deepEqual(
      (await listLinks({ name: topo.node })).map((l) => l.ifname),
      ['lo'],
    );
    // The killed agent's udhcpc and ip monitor die of SIGPIPE at their next write, sooner or
    // later (by load); so that recovery's kill of leftovers is always exercised, each stranded
    // namespace also gets a process of the test's own that would never exit by itself.
    const planted = stranded.map((ns) => spawnIn(ns, 'sleep', ['600']));
    t.after(() => {
      for (const p of planted) p.kill('SIGKILL');
    });
    await new Promise((res) => setTimeout(res, 200));
    const orphans: number[] = [];
    for (const ns of stranded) orphans.push(...(await netnsPids(ns)));
    assert.ok(orphans.length >= stranded.length, `a process in each stranded namespace: ${orphans.join(',')}`);
    const again = await spawnDiscover(t, topo, ['--recover-only']).done;
    assert.deepEqual(again.recovered?.sort(), ['eth1', 'eth2'], again.stderr);
    await assertClean(topo, ['eth1', 'eth2']);
    // Recovery also killed the udhcpc and ip monitor left running in the stranded namespaces.
    await new Promise((res) => setTimeout(res, 200));
    for (const pid of orphans) assert.ok(!alive(pid), `pid ${pid} still alive`);
  });

  test('SIGKILL during the direct attempt: the NIC never left; recovery kills the udhcpc left running', async (t) => {
    const topo = await makeTopology(t);
    await addNic(topo, 'eth1');
    const prefix = probePrefixOf(topo);
    const script = `${topo.dir}/udhcpc-probe.sh`;
    // 30 discovers: the direct attempt outlives the test unless something kills it.
    const first = spawnDiscover(t, topo, ['--nics', 'eth1', '--direct-tries', '30']);
    await waitForLog(first.stderrSoFar, /dhcp4-attempt nic=eth1 n=1/, 60_000);
    first.proc.kill('SIGKILL');
    await first.done;
    assert.deepEqual(
      (await listNetns()).filter((n) => n.startsWith(prefix)),
      [],
      'no namespace was made',
    );
    assert.ok(
      (await listLinks({ name: topo.node })).some((l) => l.ifname === 'eth1'),
      'eth1 never left',
    );
    // The killed agent's udhcpc dies of SIGPIPE at its next write to the dead agent's pipe, sooner
    // or later (by load); so that recovery's kill is always exercised, the test plants one of
    // its own with the same command line and no pipe to die of.
    const planted = spawnIn(topo.node, 'busybox', [
      'udhcpc',
      '-i',
      'eth1',
      '-f',
      '-q',
      '-n',
      '-t',
      '60',
      '-T',
      '1',
      '-s',
      script,
    ]);
    t.after(() => {
      planted.kill('SIGKILL');
    });
    const ours = async () => {
      const out: number[] = [];
      for (const p of await netnsPids(topo.node)) {
        try {
          const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
          if (argv.includes('udhcpc') && argv.includes(script) && alive(p)) out.push(p);
        } catch {
          /* gone */
        }
      }
      return out;
    };
    const t0 = Date.now();
    while (!(await ours()).includes(planted.pid!) && Date.now() - t0 < 10_000)
      await new Promise((res) => setTimeout(res, 50));
    assert.ok((await ours()).includes(planted.pid!), 'the planted udhcpc runs');
    const again = await spawnDiscover(t, topo, ['--recover-only']).done;
    assert.deepEqual(again.recovered, [], again.stderr);
    assert.match(again.stderr, new RegExp(`probe-orphan-killed pid=${planted.pid}\\b`));
    await new Promise((res) => setTimeout(res, 200));
    assert.deepEqual(await ours(), [], 'a udhcpc running the probe script is left');
    await assertClean(topo, ['eth1']);
  });

  test('a lease without router does not qualify; SIGTERM aborts and cleans up', async (t) => {
    const topo = await makeTopology(t);
    const nic = await addNic(topo, 'eth1');
    await addNic(topo, 'eth2', { plugged: false });
    await startDnsmasq(t, topo, nic, { net: '10.83.1', router: null });
    const r = spawnDiscover(t, topo, ['--nics', 'eth1,eth2']);
    await waitForLog(r.stderrSoFar, /dhcp4-miss nic=eth1 reason="lease without router option"/, 60_000);
    // The same unusable answer comes back within ~0.1 s: it is asked again with a growing pause
    // (1, 2, 4 s...), not at a silent NIC's pace.
    const before = (r.stderrSoFar().match(/dhcp4-attempt nic=eth1 /g) ?? []).length;
    await new Promise((res) => setTimeout(res, 6000));
    const attempts = (r.stderrSoFar().match(/dhcp4-attempt nic=eth1 /g) ?? []).length - before;
    assert.ok(attempts <= 4, `${attempts} attempts in 6 s after an unusable answer`);
    r.proc.kill('SIGTERM');
    const out = await r.done;
    assert.equal(out.result, undefined);
    assert.equal(out.error?.code, 'EABORTED');
    assert.match(out.error?.message ?? '', /SIGTERM/);
    await assertClean(topo, ['eth1', 'eth2']);
    // The NIC we brought up for carrier is put down again.
    assert.ok(!(await listLinks({ name: topo.node }, 'eth2'))[0]!.flags.includes('UP'));
  });

  test('VLAN probing fails clearly where the kernel refuses 802.1Q, and the NIC comes home', async (t) => {
    const topo = await makeTopology(t);
    await addNic(topo, 'eth1');
    const out = await spawnDiscover(t, topo, ['--nics', 'eth1', '--vlan', '100']).done;
    assert.equal(out.error?.code, 'EVLAN_UNSUPPORTED', out.stderr);
    assert.match(out.error!.message!, /eth1\.100/);
    t.diagnostic(out.error!.message!);
    await assertClean(topo, ['eth1']);
  });

  test('an out-of-range VLAN id is a validation error', async (t) => {
    const topo = await makeTopology(t);
    await addNic(topo, 'eth1');
    const out = await spawnDiscover(t, topo, ['--nics', 'eth1', '--vlan', '5000']).done;
    assert.equal(out.error?.code, 'EINVALID');
    await assertClean(topo, ['eth1']);
  });
});
