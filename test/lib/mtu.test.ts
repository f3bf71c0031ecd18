// The MTUs the agent applies: IPv6's minimum up to what the NIC can do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MIN_MTU, mtuProblem } from '../../lib/mtu.ts';

test("below 1280 (IPv6 would go) or above the NIC's maximum: refused with the reason", () => {
  assert.equal(MIN_MTU, 1280);
  for (const m of [1280, 1500, 9000, 65535]) assert.equal(mtuProblem(m), undefined, String(m));
  for (const m of [68, 576, 1279, 0, -1, 1500.5]) assert.match(mtuProblem(m)!, /below 1280/, String(m));
  assert.match(mtuProblem(9000, 1500)!, /above what the NIC can do \(1500\)/);
  assert.equal(mtuProblem(1500, 1500), undefined);
});
