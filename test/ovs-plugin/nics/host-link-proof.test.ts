// A record gc or detach acts on deletes only the host link it provably made (a veth or tap of
// that kind, named as attach names them or with the MAC attach gave it): a state file that names
// someone else's link (hand-edited, damaged, restored) leaves that link alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { ip, listLinks } from '../../../lib/ip.ts';
import { fakeRecord } from './records.ts';
import { nics } from './crash.ts';
import { nicEnv } from './helpers.ts';

test(
  "gc and detach delete a record's host link only when it is provably ours; " +
    'other links of the names recorded stay',
  async (t) => {
    const e = await nicEnv(t);
    const h = { name: e.host };
    await ip(h, ['link', 'add', 'name', 'victim0', 'type', 'veth', 'peer', 'name', 'victim1']); // someone's veth
    await ip(h, ['link', 'add', 'name', 'nh0123456789', 'type', 'bridge']); // our name, not our kind
    await ip(h, ['tuntap', 'add', 'dev', 'tapx', 'mode', 'tap']); // a tap, not with the MAC we give ours
    // ours: veth, our name
    await ip(h, ['link', 'add', 'name', 'nh0abcdef012', 'type', 'veth', 'peer', 'name', 'ours1']);
    const rec = (key: string, host: string) => ({ ...fakeRecord(key), host });
    const guest = {
      ...fakeRecord('g'),
      target: { kvm: 'vmx' },
      ns: { dev: 0, ino: 0 },
      name: 'tapx',
      host: 'tapx',
      hwaddr: '02:00:00:00:00:09',
    };
    await writeFile(
      e.state,
      JSON.stringify({
        version: 1,
        nics: [rec('a', 'victim0'), rec('b', 'nh0123456789'), rec('c', 'nh0abcdef012'), guest],
      }),
    );
    const gc = await e.call('nic.gc', {});
    assert.equal(gc.exitCode, 0, gc.stdout);
    assert.deepEqual(gc.value.removed.sort(), ['a', 'b', 'c'], gc.stdout);
    const det = await e.call('nic.detach', { target: { kvm: 'vmx' }, name: 'tapx' });
    assert.equal(det.exitCode, 0, det.stdout);
    assert.deepEqual(await nics(e), []);
    const links = (await listLinks(h)).map((l) => l.ifname);
    for (const kept of ['victim0', 'victim1', 'nh0123456789', 'tapx'])
      assert.ok(links.includes(kept), `${kept} is not ours: it stays`);
    assert.ok(!links.includes('nh0abcdef012') && !links.includes('ours1'), 'a veth of ours goes');
  },
);
