// Kernel WireGuard messages (include/uapi/linux/wireguard.h), checked without the module: a
// change becomes WG_CMD_SET_DEVICE attributes with the right flags, encoded and decoded by the
// `netlink` package's codecs; a GET_DEVICE dump split over messages becomes one state.
import { test } from 'node:test';
import { existsSync, readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { AttrStream } from 'netlink/dist/structs.js';
import { formatDevice, parseDevice, type Device } from 'netlink/dist/wg/structs.js';
import {
  decodeDevice,
  encodeSetDevice,
  endpointOf,
  genlError,
  NLA_F_NESTED,
  setDeviceMessage,
  sockaddrOf,
  stateOfDump,
  WG_CMD,
} from '../../../lib/wireguard/genl.ts';
import { clampPrivateKey, publicKeyOf } from '../../../lib/wireguard/types.ts';

const K = (n: number): string => Buffer.alloc(32, n).toString('base64');
const KB = (n: number): Buffer => Buffer.alloc(32, n);

/** `d` through the package's attribute encoder and parser, as the kernel would see it. */
function wire(d: Device): Device {
  const s = new AttrStream();
  s.emit(formatDevice(d));
  return parseDevice(Buffer.concat(s.bufs));
}

test('sockaddr: IPv4 and IPv6 endpoints as struct sockaddr_in / sockaddr_in6 and back', () => {
  const v4 = sockaddrOf('192.0.2.1:51820');
  assert.equal(v4.length, 16);
  assert.deepEqual([...v4.subarray(0, 8)], [2, 0, 0xca, 0x6c, 192, 0, 2, 1]);
  assert.equal(endpointOf(v4), '192.0.2.1:51820');
  const v6 = sockaddrOf('[2001:db8::1]:1');
  assert.equal(v6.length, 28);
  assert.equal(v6.readUInt16LE(0), 10);
  assert.equal(endpointOf(v6), '[2001:db8::1]:1');
  assert.equal(endpointOf(Buffer.alloc(16)), undefined, 'family 0: no endpoint');
});

test(
  'setDeviceMessage: update-only for peers that stay, ' +
    'replace-allowedips when given (not when only added), remove-me; never replace-peers',
  () => {
    const msg = setDeviceMessage('w-x', {
      listenPort: 51820,
      peers: [
        { publicKey: K(2), remove: true },
        { publicKey: K(3), create: false, persistentKeepalive: 25 },
        { publicKey: K(4), create: false, allowedIps: ['10.0.4.0/24', 'fd00::/64'] },
        { publicKey: K(5), create: true, endpoint: '[2001:db8::5]:51820', allowedIps: ['10.0.5.0/24'] },
        { publicKey: K(6), create: false, allowedIps: ['10.0.6.0/24'], addAllowedIps: true },
      ],
    });
    const back = wire(msg);
    assert.equal(back.ifname, 'w-x');
    assert.equal(back.listenPort, 51820);
    assert.equal(back.privateKey, undefined);
    assert.equal(back.flags, undefined, 'no WGDEVICE_F_REPLACE_PEERS');
    const [p2, p3, p4, p5, p6] = back.peers!;
    assert.deepEqual(p2!.flags, { removeMe: true });
    assert.deepEqual(p3!.flags, { updateOnly: true });
    assert.equal(p3!.persistentKeepaliveInterval, 25);
    assert.equal(p3!.allowedIps, undefined);
    assert.deepEqual(p4!.flags, { updateOnly: true, replaceAllowedIps: true });
    assert.deepEqual(
      p4!.allowedIps!.map((a) => [a.family, a.cidrMask, Buffer.from(a.ipaddr!).toString('hex')]),
      [
        [2, 24, '0a000400'],
        [10, 64, 'fd000000000000000000000000000000'],
      ],
    );
    assert.deepEqual(p5!.flags, { replaceAllowedIps: true });
    assert.deepEqual(p6!.flags, { updateOnly: true }, 'allowed IPs added: no replace');
    assert.equal(p6!.allowedIps!.length, 1);
    assert.equal(endpointOf(Buffer.from(p5!.endpoint!)), '[2001:db8::5]:51820');
    assert.deepEqual(Buffer.from(p5!.publicKey!), KB(5));
  },
);

test('setDeviceMessage: an empty change carries the name only', () => {
  assert.deepEqual(setDeviceMessage('w-x', { peers: [] }), { ifname: 'w-x' });
});

test('stateOfDump: one peer continued across two messages, keys, handshake timespec, counters', () => {
  const priv = clampPrivateKey(K(1));
  const ts = Buffer.alloc(16);
  ts.writeBigInt64LE(1700000000n, 0);
  ts.writeBigInt64LE(250_000_000n, 8);
  const parts: Device[] = [
    {
      ifname: 'w-x',
      privateKey: Buffer.from(priv, 'base64'),
      listenPort: 51820,
      fwmark: 0,
      peers: [
        {
          publicKey: KB(2),
          endpoint: sockaddrOf('198.51.100.7:40001'),
          persistentKeepaliveInterval: 20,
          lastHandshakeTime: ts,
          rxBytes: 5n,
          txBytes: 6n,
          allowedIps: [{ family: 2, ipaddr: Buffer.from([10, 0, 2, 0]), cidrMask: 24 }],
        },
      ],
    },
    {
      ifname: 'w-x',
      peers: [
        {
          publicKey: KB(2),
          allowedIps: [{ family: 10, ipaddr: Buffer.from('fd000000000000020000000000000000', 'hex'), cidrMask: 64 }],
        },
        { publicKey: KB(3) },
      ],
    },
  ];
  const s = stateOfDump('w-x', parts.map(wire));
  assert.equal(s.privateKey, priv);
  assert.equal(s.publicKey, publicKeyOf(priv));
  assert.equal(s.listenPort, 51820);
  assert.deepEqual(s.peers, [
    {
      publicKey: K(2),
      endpoint: '198.51.100.7:40001',
      allowedIps: ['10.0.2.0/24', 'fd00:0:0:2::/64'],
      persistentKeepalive: 20,
      lastHandshakeMs: 1700000000250,
      rxBytes: 5n,
      txBytes: 6n,
    },
    { publicKey: K(3), allowedIps: [], persistentKeepalive: 0, lastHandshakeMs: 0, rxBytes: 0n, txBytes: 0n },
  ]);
  assert.equal(
    stateOfDump('w-x', [{ privateKey: Buffer.alloc(32) }]).privateKey,
    undefined,
    'an all-zero key is no key',
  );
});

test("the package's flag bits are wireguard.h's", async () => {
  const { formatPeerFlags, formatDeviceFlags } = await import('netlink/dist/wg/structs.js');
  assert.equal(formatPeerFlags({ removeMe: true }), 1); // WGPEER_F_REMOVE_ME
  assert.equal(formatPeerFlags({ replaceAllowedIps: true }), 2); // WGPEER_F_REPLACE_ALLOWEDIPS
  assert.equal(formatPeerFlags({ updateOnly: true }), 4); // WGPEER_F_UPDATE_ONLY
  assert.equal(formatDeviceFlags({ replacePeers: true }), 1); // WGDEVICE_F_REPLACE_PEERS (never sent)
});

test('genlError: the package\'s "Request rejected: X" as typed errors', () => {
  assert.equal((genlError('w-x', new Error('Request rejected: ENODEV')) as { code?: string }).code, 'EWG_NODEVICE');
  const refused = genlError('w-x', new Error('Request rejected: EINVAL')) as {
    code?: string;
    details?: { errno?: string };
  };
  assert.equal(refused.code, 'EWG_REFUSED');
  assert.equal(refused.details?.errno, 'EINVAL');
  assert.equal((genlError('w-x', new Error('socket closed')) as { code?: string }).code, 'EWG_UNREACHABLE');
});

// The package's Commands enum is off by one (GET_DEVICE 1, SET_DEVICE 2): the kernel refused both
// with EOPNOTSUPP in the image. Ours must be the header's enum wg_cmd.
test("the generic netlink commands are wireguard.h's enum wg_cmd (GET 0, SET 1), not the package's", (t) => {
  const h = '/usr/include/linux/wireguard.h';
  if (!existsSync(h)) {
    t.skip(`${h} missing (linux-libc-dev)`);
    return;
  }
  const body = /enum wg_cmd \{([^}]*)\}/.exec(readFileSync(h, 'utf8'))?.[1] ?? '';
  const names = body
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x && !x.startsWith('__'));
  assert.deepEqual(names, ['WG_CMD_GET_DEVICE', 'WG_CMD_SET_DEVICE'], 'no explicit values: numbered from 0');
  assert.deepEqual(WG_CMD, { GET_DEVICE: 0, SET_DEVICE: 1 });
});

// The kernel parses each peer and allowed IP with the strict nla_parse_nested(): a nest without
// NLA_F_NESTED is EINVAL (seen in the image before this). Every nest of the set message has it.
test(
  'a set message flags every nest NLA_F_NESTED (peers, each peer, allowed ' + 'IPs, each allowed IP) and still decodes',
  () => {
    const msg = setDeviceMessage('w-a', {
      privateKey: K(1),
      listenPort: 51820,
      peers: [
        {
          publicKey: K(2),
          create: true,
          endpoint: '192.0.2.1:5',
          persistentKeepalive: 20,
          allowedIps: ['10.0.0.0/24', 'fd00::/64'],
        },
        { publicKey: K(3), remove: true },
      ],
    });
    const buf = encodeSetDevice(msg);
    const walk = (b: Buffer, path: string, out: Record<string, boolean>) => {
      for (let off = 0; off + 4 <= b.length; ) {
        const len = b.readUInt16LE(off);
        const t = b.readUInt16LE(off + 2);
        const type = t & 0x3fff;
        const here = `${path}/${type}`;
        out[here] = (t & NLA_F_NESTED) !== 0;
        const nested =
          path === ''
            ? type === 8
            : path === '/8'
              ? true
              : /^\/8\/\d+$/.test(path)
                ? type === 9
                : /^\/8\/\d+\/9$/.test(path);
        if (nested) walk(b.subarray(off + 4, off + len), here, out);
        off += (len + 3) & ~3;
      }
      return out;
    };
    const flags = walk(buf, '', {});
    const nested = Object.entries(flags)
      .filter(([, f]) => f)
      .map(([k]) => k)
      .sort();
    assert.deepEqual(nested, ['/8', '/8/1', '/8/1/9', '/8/1/9/1', '/8/1/9/2', '/8/2'].sort());
    const back = parseDevice(buf);
    assert.equal(back.peers?.length, 2);
    assert.deepEqual(
      back.peers?.[0]?.allowedIps?.map((a) => a.cidrMask),
      [24, 64],
    );
    assert.equal(back.listenPort, 51820);
  },
);

// A dump as the kernel writes it: every peer and allowed IP nested under type 0 (the package's
// parser wants 1, 2, ... and threw "Non-sequential array types" in the image).
test("a dump with the kernel's type-0 nests decodes: peers and their allowed IPs", () => {
  const buf = encodeSetDevice(
    setDeviceMessage('w-a', {
      listenPort: 7,
      peers: [
        { publicKey: K(2), create: true, endpoint: '192.0.2.1:5', allowedIps: ['10.0.0.0/24', 'fd00::/64'] },
        { publicKey: K(3), create: true, allowedIps: ['10.0.1.0/24'] },
      ],
    }),
  );
  const zero = (b: Buffer, children: boolean, inner?: number): void => {
    for (let off = 0; off + 4 <= b.length; ) {
      const len = b.readUInt16LE(off);
      const type = b.readUInt16LE(off + 2) & 0x3fff;
      if (children) b.writeUInt16LE(0x8000, off + 2);
      if (inner !== undefined && (children || type === inner))
        zero(b.subarray(off + 4, off + len), !children, children ? 9 : undefined);
      off += (len + 3) & ~3;
    }
  };
  // device: the peers attribute (8) -> its children become 0 -> in each, the allowed IPs (9) -> children 0.
  for (let off = 0; off + 4 <= buf.length; ) {
    const len = buf.readUInt16LE(off);
    if ((buf.readUInt16LE(off + 2) & 0x3fff) === 8) zero(buf.subarray(off + 4, off + len), true, 9);
    off += (len + 3) & ~3;
  }
  assert.throws(() => parseDevice(buf), /Non-sequential/, 'the package cannot read it');
  const d = decodeDevice(buf);
  assert.equal(d.listenPort, 7);
  const s = stateOfDump('w-a', [d]);
  assert.deepEqual(
    s.peers.map((p) => [p.publicKey, p.endpoint, p.allowedIps]),
    [
      [K(2), '192.0.2.1:5', ['10.0.0.0/24', 'fd00::/64']],
      [K(3), undefined, ['10.0.1.0/24']],
    ],
  );
});
