// readZosState: what a rerun sees on a configured node, read in-process (two rtnetlink dumps)
// and through `ip` (ZOS_RTNL=0), which must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ip } from '../../../lib/ip.ts';
import { netnsNamed, runIn } from '../../../lib/netns.ts';
import { makeNetns } from '../../helpers/netns.ts';

const FIXTURE = 'test/internet/zos/fixtures/read-state.ts';

test(
  'zos state: bridge, port, global addresses (not link-local, ' +
    'not dadfailed) and both default routes; rtnetlink and ip agree',
  async (t) => {
    const ns = await makeNetns(t, 'tzs');
    const ref = netnsNamed(ns);
    await ip(ref, ['link', 'add', 'name', 'zos', 'address', '02:00:00:00:0a:01', 'type', 'bridge']);
    await ip(ref, ['link', 'add', 'name', 'eth1', 'type', 'veth', 'peer', 'name', 'peer1']);
    await ip(ref, ['link', 'set', 'eth1', 'master', 'zos', 'up']);
    await ip(ref, ['link', 'set', 'peer1', 'up']);
    await ip(ref, ['link', 'set', 'zos', 'up']);
    await ip(ref, ['addr', 'add', '10.44.0.5/24', 'dev', 'zos']);
    await ip(ref, ['addr', 'add', '2001:db8:44::5/64', 'dev', 'zos', 'nodad']);
    await ip(ref, ['route', 'add', 'default', 'via', '10.44.0.1', 'dev', 'zos']);
    await ip(ref, ['-6', 'route', 'add', 'default', 'via', 'fe80::1', 'dev', 'zos']);
    await ip(ref, ['route', 'add', 'default', 'via', '10.44.0.2', 'dev', 'zos', 'table', '7']); // not the main table
    const read = async (env: Record<string, string>) =>
      JSON.parse(
        (
          await runIn(
            ref,
            'env',
            [...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, '--import', 'tsx', FIXTURE],
            { timeoutMs: 60_000 },
          )
        ).stdout,
      );
    const inProcess = await read({});
    assert.deepEqual(inProcess, {
      exists: true,
      kind: 'bridge',
      up: true,
      mac: '02:00:00:00:0a:01',
      ports: [{ name: 'eth1', mac: inProcess.ports[0]?.mac }],
      v4: ['10.44.0.5/24'],
      v6: ['2001:db8:44::5/64'],
      default4: '10.44.0.1',
      default6: 'fe80::1',
    });
    assert.deepEqual(await read({ ZOS_RTNL: '0' }), inProcess);
  },
);
