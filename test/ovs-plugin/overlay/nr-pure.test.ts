// The NR engine's pure parts: names and addresses, both nft scripts, the WireGuard config of a
// document, the records' shape check, and the hidden wg-genl subcommand's framing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { AppError } from '../../../lib/errors.ts';
import { runWgGenl } from '../../../lib/wireguard/genl-runner.ts';
import { parseNetworkDocument } from '../../../ovs-plugin/overlay/document.ts';
import { hostTableScript, nrTableScript } from '../../../ovs-plugin/overlay/nr-firewall.ts';
import { endpointHost } from '../../../ovs-plugin/overlay/nr-mtu.ts';
import { MAX_NR_INDEX, nrAddresses, nrNames, nrRoutes } from '../../../ovs-plugin/overlay/nr-names.ts';
import {
  freeIndex,
  parseNets,
  putNr,
  readNets,
  updateNets,
  type NrRecord,
} from '../../../ovs-plugin/overlay/nr-state.ts';
import { desiredWgConfig, KEEPALIVE_S } from '../../../ovs-plugin/overlay/nr-wireguard.ts';
import { generateKeyPair } from '../../../ovs-plugin/overlay/plan-keys.ts';
import { ulaNetwork } from '../../../ovs-plugin/overlay/ula.ts';

const doc = parseNetworkDocument({
  ip_range: '10.20.0.0/16',
  subnet: '10.20.7.0/24',
  wireguard_private_key: generateKeyPair().privateKey,
  wireguard_listen_port: 20001,
  peers: [
    {
      subnet: '10.20.8.0/24',
      wireguard_public_key: generateKeyPair().publicKey,
      allowed_ips: ['10.20.8.0/24', '100.64.20.8/32'],
      endpoint: '[2001:db8::8]:20002',
    },
    { subnet: '10.20.9.0/24', wireguard_public_key: generateKeyPair().publicKey, allowed_ips: ['10.20.9.0/24'] },
  ],
});

test('names fit IFNAMSIZ for the longest netid; addresses of index k', () => {
  const n = nrNames('abcdefghijklm');
  for (const v of Object.values(n)) assert.ok(v.length <= 15, v);
  assert.deepEqual(n, {
    namespace: 'n-abcdefghijklm',
    bridge: 'b-abcdefghijklm',
    leg: 'l-abcdefghijklm',
    inner: 'n-abcdefghijklm',
    egress: 'e-abcdefghijklm',
    public: 'public',
    wireguard: 'w-abcdefghijklm',
  });
  const a = nrAddresses('x', doc, 3);
  assert.equal(a.gateway, '10.20.7.1/24');
  assert.equal(a.wire, '100.64.20.7/16');
  assert.equal(a.transitHost, '100.127.0.13/30');
  assert.equal(a.transitNs, '100.127.0.14/30');
  assert.equal(a.transitGateway, '100.127.0.13');
  assert.match(a.ula, /^fd[0-9a-f:]+:7::1\/64$/);
  assert.equal(a.ula48, ulaNetwork('x'));
  const last = nrAddresses('x', doc, MAX_NR_INDEX);
  assert.equal(last.transitNs, '100.127.255.250/30', 'the last /30 stays inside 100.127/16');
  assert.deepEqual(
    nrRoutes('x', doc, 0).map((r) => `${r.dst} ${r.dev}`),
    ['10.20.0.0/16 w-x', `${ulaNetwork('x')} w-x`, 'default public'],
  );
});

// The namespace table's forward chain, its rules in order (one a line, indented 4).
const NR_FORWARD = new RegExp(
  /policy drop;\n {4}tcp flags syn tcp option maxseg size set rt mtu\n {4}ct state invalid drop\n {4}/.source +
    /ct state established,related accept\n {4}iifname "n-net1" accept\n {4}iifname "w-net1" oifname "n-net1" accept/
      .source +
    /\n {4}iifname "w-net1" oifname "w-net1" accept\n {2}\}/.source,
);
// The host table's egress rules, in order.
const HOST_EGRESS = new RegExp(
  /iifname @egress oifname @uplinks accept\n {4}iifname @egress drop\n {4}/.source +
    /oifname @egress ct state established,related accept\n {4}oifname @egress drop/.source,
);

test(
  'the namespace table: forward policy drop, workloads out, mesh in, peer to peer (relay), ' +
    'MSS clamped, gateway not from public',
  () => {
    const s = nrTableScript('net1');
    assert.match(s, /^table inet zos_nr\ndelete table inet zos_nr\n/, 'replaced whole in one transaction');
    assert.match(s, NR_FORWARD, 'and nothing else: public in is dropped');
    assert.match(s, /ct state established,related accept\n {4}iifname "public" drop/);
    assert.match(s, /oifname "public" masquerade/);
  },
);

test(
  'the host table: egress only to uplinks, nothing in but replies, ' +
    'masquerade of the transit range; none left with no NR',
  () => {
    const s = hostTableScript(['e-a', 'e-b'], ['eth0']);
    assert.match(s, /set egress \{ type ifname; elements = \{ "e-a", "e-b" \}; \}/);
    assert.match(s, HOST_EGRESS);
    assert.match(s, /iifname @egress ct state established,related accept\n {4}iifname @egress drop/);
    assert.match(s, /ip saddr 100\.127\.0\.0\/16 oifname @uplinks masquerade/);
    assert.equal(hostTableScript([], ['eth0']), 'table inet zos_overlay\ndelete table inet zos_overlay\n');
    assert.match(hostTableScript(['e-a'], []), /set uplinks \{ type ifname; \}/, 'no uplink: the egress goes nowhere');
  },
);

test(
  'the WireGuard config of a document: keepalive 20 s on every peer, ' + 'endpoints kept as given, none when absent',
  () => {
    const c = desiredWgConfig(doc);
    assert.equal(c.listenPort, 20001);
    assert.deepEqual(
      c.peers.map((p) => p.persistentKeepalive),
      [KEEPALIVE_S, KEEPALIVE_S],
    );
    assert.equal(c.peers[0]!.endpoint, '[2001:db8::8]:20002');
    assert.equal(c.peers[1]!.endpoint, undefined);
    assert.deepEqual(c.peers[0]!.allowedIps, ['10.20.8.0/24', '100.64.20.8/32']);
    assert.equal(endpointHost('[2001:db8::8]:20002'), '2001:db8::8');
    assert.equal(endpointHost('198.18.0.1:1'), '198.18.0.1');
  },
);

test('records: a damaged file is ESTATE naming the record and the field; the lowest free index', () => {
  const rec: NrRecord = {
    netid: 'a',
    doc,
    phase: 'applied',
    owner: { pid: 1, start: '1' },
    index: 0,
    port: 20001,
    mtu: 1420,
    at: 'now',
    bridgeMac: '02:00:00:00:00:01',
  };
  assert.equal(parseNets('/x', JSON.stringify({ version: 1, nets: [rec] })).nets[0]!.netid, 'a');
  const bad = (v: unknown): string => {
    try {
      parseNets('/x', JSON.stringify(v));
      return 'accepted';
    } catch (e) {
      assert.equal((e as AppError).code, 'ESTATE');
      return (e as Error).message;
    }
  };
  assert.match(bad({ version: 1, nets: [{ ...rec, phase: 'half' }] }), /record 0: field "phase"/);
  assert.match(
    bad({ version: 1, nets: [{ ...rec, doc: { ...doc, subnet: '10.21.0.0/24' } }] }),
    /record 0: field doc\.subnet/,
  );
  assert.match(bad({ version: 1, nets: [rec, rec] }), /appears twice/);
  assert.match(bad({ nets: [] }), /not a version 1/);
  assert.throws(() => parseNets('/x', '{'), /not JSON/);
  // Records come frozen: a change in place throws (a new record replaces the old).
  assert.throws(() => {
    parseNets('/x', JSON.stringify({ version: 1, nets: [rec] })).nets[0]!.phase = 'deleting';
  }, TypeError);
  assert.match(bad({ version: 1, nets: [{ ...rec, port: -1 }] }), /record 0: field "port"/);
  assert.equal(freeIndex({ version: 1, nets: [rec, { ...rec, netid: 'b', index: 2 }] }, MAX_NR_INDEX), 1);
});

test(
  'wg-genl: a request that is not JSON is answered with an error, exit 1; ' +
    'a get of no device answers its typed error, exit 1',
  async () => {
    const collect = (): { out: Writable; text: () => string } => {
      let t = '';
      return {
        out: new Writable({
          write(c, _e, cb) {
            t += String(c);
            cb();
          },
        }),
        text: () => t,
      };
    };
    const a = collect();
    assert.equal(await runWgGenl(Readable.from(['nope']), (s) => a.out.write(s)), 1);
    assert.equal(JSON.parse(a.text()).ok, false);
    const b = collect();
    assert.equal(
      await runWgGenl(Readable.from([JSON.stringify({ op: 'get', name: 'wgnosuch0' })]), (s) => b.out.write(s)),
      1,
    );
    const ans = JSON.parse(b.text());
    assert.equal(ans.ok, false);
    assert.match(ans.code, /^EWG_/);
  },
);

test('records: a file not changed since it was read is not read again; a rewrite by anyone is', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'zos-nets-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'nets.json');
  assert.deepEqual((await readNets(path)).nets, [], 'no file: no records');
  const rec = (netid: string): NrRecord => ({
    netid,
    doc,
    phase: 'applied',
    owner: { pid: 1, start: '1' },
    index: 0,
    port: 40001,
    mtu: 1420,
    at: '2026-01-01T00:00:00.000Z',
    bridgeMac: '02:00:00:00:00:01',
  });
  await updateNets(path, (s) => putNr(s, rec('a')));
  const first = await readNets(path);
  first.nets.push(rec('b'));
  const again = await readNets(path);
  assert.equal(again.nets.length, 1, "one read's list is not another's");
  assert.equal(again.nets[0], first.nets[0], 'the same record: the file was not parsed again');
  // No change, no write: the file keeps its inode.
  const ino = (await stat(path)).ino;
  await updateNets(path, () => undefined);
  assert.equal((await stat(path)).ino, ino);
  // Another process's write (a rename over the file) is read.
  const other = JSON.parse(await readFile(path, 'utf8'));
  other.nets.push({ ...other.nets[0], netid: 'c', index: 1, port: 40002 });
  await writeFile(`${path}.tmp`, JSON.stringify(other, null, 1) + '\n');
  await rename(`${path}.tmp`, path);
  assert.deepEqual(
    (await readNets(path)).nets.map((r) => r.netid),
    ['a', 'c'],
  );
  // A damaged rewrite is ESTATE, not the records read before.
  await writeFile(`${path}.tmp`, '{');
  await rename(`${path}.tmp`, path);
  await assert.rejects(readNets(path), /not JSON/);
});
