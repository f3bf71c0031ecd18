// A well-formed state record for tests of the state file itself (no link behind it).
import type { NicRecord } from '../../../ovs-plugin/nics/types.ts';

/** A record of a vlan nic `eth0` in netns `c-<key>`, attached, owned by nobody alive. */
export const fakeRecord = (key: string): NicRecord => ({
  key,
  target: { netns: `c-${key}` },
  ns: { dev: 4, ino: 4026532000 },
  name: 'eth0',
  nic: { type: 'vlan', id: 10 },
  phase: 'attached',
  owner: { pid: 1, start: '0' },
  host: 'nh0000000000',
  temp: 'nt0000000000',
  hwaddr: '02:00:00:00:00:01',
  bridge: 'vlbr10',
  tag: 10,
  at: '2026-01-01T00:00:00.000Z',
});
