// The laptop's wg-quick file: the entrypoint's IPv6 endpoint by default, IPv4 with --ipv4 or when
// it has no IPv6; the laptop's own key, addresses, MTU and keepalive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addAccess, addNode, createPlan } from '../../../ovs-plugin/overlay/plan.ts';
import { accessConfig } from '../../../ovs-plugin/overlay/plan-access.ts';
import { publicKeyOf } from '../../../ovs-plugin/overlay/plan-keys.ts';
import { ulaNetwork } from '../../../ovs-plugin/overlay/ula.ts';

const base = () => {
  let p = createPlan({ name: 'n', ipRange: '172.16.0.0/16' });
  p = addNode(p, { id: 'dual', endpoints: ['2001:db8::7', '203.0.113.7'], port: 30000 });
  return addNode(p, { id: 'four', endpoints: ['203.0.113.8'], port: 30001 });
};

test('endpoint: IPv6 by default, IPv4 with ipv4, IPv4 when the entrypoint has no IPv6', () => {
  const p = base();
  const line = (node: string, ipv4: boolean) => {
    const r = addAccess(p, { node, ipv4 });
    return /\nEndpoint = (.*)\n/.exec(accessConfig(r.plan, r.access))![1];
  };
  assert.equal(line('dual', false), '[2001:db8::7]:30000');
  assert.equal(line('dual', true), '203.0.113.7:30000');
  assert.equal(line('four', false), '203.0.113.8:30001');
});

test('the whole file', () => {
  const r = addAccess(base(), { node: 'four', name: 'lap', mtu: 1380 });
  const entry = r.plan.nodes.find((n) => n.id === 'four')!;
  const ula = ulaNetwork(r.plan.netid).replace('::/48', '');
  assert.equal(
    accessConfig(r.plan, r.access),
    [
      '[Interface]',
      `# access lap of network n (netid ${r.plan.netid}) through node four`,
      `PrivateKey = ${r.access.private_key}`,
      `Address = 100.64.16.4/32, ${ula}:4::1/128`,
      'MTU = 1380',
      '',
      '[Peer]',
      `PublicKey = ${publicKeyOf(entry.private_key)}`,
      'Endpoint = 203.0.113.8:30001',
      `AllowedIPs = 172.16.0.0/16, 100.64.0.0/16, ${ula}::/48`,
      'PersistentKeepalive = 25',
      '',
    ].join('\n'),
  );
});
