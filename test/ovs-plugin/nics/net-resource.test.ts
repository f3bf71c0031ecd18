// readNetResource's answers from nets.json alone (no kernel read: each case fails before the
// bridge is looked for): no file or no record is ENOTFOUND naming nic.id, a deleting NR EBUSY,
// a damaged file or record ESTATE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNetResource } from '../../../ovs-plugin/nics/net-resource.ts';
import { networkNicsNow, networkNicsOf } from '../../../ovs-plugin/nics/network-users.ts';
import { fakeRecord } from './records.ts';

/** A whole NR record as net.apply writes it (overlay/nr-state.ts checks every field on read). */
const rec = (o: Record<string, unknown> = {}) => ({
  netid: 'abc',
  phase: 'applied',
  owner: { pid: 1, start: '0' },
  index: 0,
  port: 51820,
  mtu: 1420,
  at: new Date(0).toISOString(),
  bridgeMac: '02:00:00:00:1b:01',
  ...o,
  doc: {
    wireguard_private_key: Buffer.alloc(32, 7).toString('base64'),
    wireguard_listen_port: 51820,
    peers: [],
    ip_range: '10.20.0.0/16',
    subnet: '10.20.1.0/24',
    ...(o.doc as object),
  },
});

test('readNetResource: ENOTFOUND, EBUSY, ESTATE from the record file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'nr-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const state = join(dir, 'nics.json');
  const nets = join(dir, 'nets.json');
  const codeOf = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: any) => `${e.code} ${e.details?.field ?? ''}`.trim(),
    );
  assert.equal(await codeOf(readNetResource(state, 'abc')), 'ENOTFOUND nic.id', 'no file');
  await writeFile(nets, JSON.stringify({ version: 1, nets: [rec({ netid: 'other' })] }));
  assert.equal(await codeOf(readNetResource(state, 'abc')), 'ENOTFOUND nic.id', 'no record');
  await writeFile(nets, JSON.stringify({ version: 1, nets: [rec({ phase: 'deleting' })] }));
  assert.equal(await codeOf(readNetResource(state, 'abc')), 'EBUSY nic.id');
  for (const bad of [
    '{',
    '{"version":2,"nets":[]}',
    JSON.stringify({ version: 1, nets: [rec({ mtu: 'x' })] }),
    JSON.stringify({ version: 1, nets: [rec({ doc: { ip_range: '10.21.0.0/16', subnet: '10.20.1.0/24' } })] }),
    JSON.stringify({ version: 1, nets: [rec({ doc: { ip_range: '10.20.0.0/16', subnet: '10.20.0.0/23' } })] }),
    JSON.stringify({ version: 1, nets: [rec({ doc: { ip_range: '10.20.0.0/15', subnet: '10.20.1.0/24' } })] }),
  ]) {
    await writeFile(nets, bad);
    assert.equal(await codeOf(readNetResource(state, 'abc')), 'ESTATE', bad);
  }
});

test('networkNicsOf: the network nics of one netid, any phase (what net.delete refuses on)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'nr-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const state = join(dir, 'nics.json');
  assert.deepEqual(await networkNicsOf(state, 'abc'), [], 'no state file');
  const nics = [
    { ...fakeRecord('a'), nic: { type: 'network', id: 'abc' }, address: '10.1.2.2/24' },
    { ...fakeRecord('b'), nic: { type: 'network', id: 'abd' }, address: '10.1.3.2/24' },
    { ...fakeRecord('c'), nic: { type: 'network', id: 'abc' }, address: '10.1.2.3/24', phase: 'attaching' },
    fakeRecord('d'),
  ];
  await writeFile(state, JSON.stringify({ version: 1, nics }));
  assert.deepEqual(await networkNicsOf(state, 'abc'), ['a', 'c']);
  assert.deepEqual(await networkNicsNow(state, 'abd'), ['b']);
});
