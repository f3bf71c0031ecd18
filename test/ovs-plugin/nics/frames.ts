// Raw 802.1Q frames from inside a container (this kernel has no vlan links, so no `eth0.10`):
// a python3 AF_PACKET socket sends tagged ARP requests and counts the ARP frames it receives
// from one address, tagged or not (the tag may arrive in the frame or be taken off by the
// driver: both are counted).
import { runIn } from '../../helpers/netns.ts';

const PROBE = `
import json, socket, struct, sys, time
ifc, mac = sys.argv[1], bytes.fromhex(sys.argv[2].replace(':', ''))
me, them = socket.inet_aton(sys.argv[3]), socket.inet_aton(sys.argv[4])
vid, secs = int(sys.argv[5]), float(sys.argv[6])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((ifc, 0))
s.settimeout(0.2)
arp = struct.pack('!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, 1, mac, me, bytes(6), them)
frame = b'\\xff' * 6 + mac + (struct.pack('!HH', 0x8100, vid) if vid >= 0 else b'') + b'\\x08\\x06' + arp
got = {'requests': 0, 'replies': 0}
end, nxt = time.time() + secs, 0.0
while time.time() < end:
    if time.time() >= nxt:
        s.send(frame)
        nxt = time.time() + 0.5
    try:
        d, addr = s.recvfrom(4096)
    except socket.timeout:
        continue
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    off = 12
    while d[off:off + 2] in (b'\\x81\\x00', b'\\x88\\xa8'):
        off += 4
    if d[off:off + 2] != b'\\x08\\x06' or d[off + 16:off + 20] != them:
        continue
    got['replies' if struct.unpack('!H', d[off + 8:off + 10])[0] == 2 else 'requests'] += 1
print(json.dumps(got))
`;

/** What `arpProbe` saw from `them`: ARP requests (broadcasts of its VLAN) and replies (answers to ours). */
export interface ArpSeen {
  requests: number;
  replies: number;
}

/**
 * From `ns`, link `ifc` (MAC `mac`, claiming `me`): sends an ARP request for `them` every 0.5 s
 * for `secs` seconds, tagged `vid` (-1: untagged), and counts the ARP frames received from `them`.
 */
export async function arpProbe(
  ns: string,
  ifc: string,
  mac: string,
  me: string,
  them: string,
  vid: number,
  secs = 4,
): Promise<ArpSeen> {
  const r = await runIn(ns, 'python3', ['-c', PROBE, ifc, mac, me, them, String(vid), String(secs)], {
    timeoutMs: (secs + 20) * 1000,
  });
  return JSON.parse(r.stdout) as ArpSeen;
}
