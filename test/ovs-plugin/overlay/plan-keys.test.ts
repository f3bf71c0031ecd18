// X25519 keys as WireGuard writes them: 32 raw bytes in base64, the public key derived from the
// private one as `wg pubkey` does (checked against wg itself when wireguard-tools is installed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPair, isWgKey, publicKeyOf } from '../../../ovs-plugin/overlay/plan-keys.ts';

test('a generated pair: two distinct 32-byte keys, the public one derived from the private one', () => {
  const a = generateKeyPair();
  const b = generateKeyPair();
  assert.ok(isWgKey(a.privateKey) && isWgKey(a.publicKey));
  assert.equal(Buffer.from(a.privateKey, 'base64').length, 32);
  assert.notEqual(a.privateKey, b.privateKey);
  assert.equal(publicKeyOf(a.privateKey), a.publicKey);
});

test("RFC 7748 section 6.1 test vector: Alice's public key from her private key", () => {
  const priv = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex').toString(
    'base64',
  );
  const pub = Buffer.from('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a', 'hex').toString('base64');
  assert.equal(publicKeyOf(priv), pub);
});

test('the public key is what `wg pubkey` says', { skip: !hasWg() && 'wireguard-tools not installed' }, () => {
  const { privateKey, publicKey } = generateKeyPair();
  assert.equal(execFileSync('wg', ['pubkey'], { input: `${privateKey}\n`, encoding: 'utf8' }).trim(), publicKey);
});

test('isWgKey: only canonical base64 of exactly 32 bytes', () => {
  const k = generateKeyPair().publicKey;
  for (const bad of [
    k.slice(0, -1),
    `${k}=`,
    k.replace(/=$/, ''),
    'A'.repeat(44),
    `${'A'.repeat(42)}B=`,
    Buffer.alloc(31).toString('base64'),
    42,
    undefined,
  ]) {
    assert.equal(isWgKey(bad), false, String(bad));
  }
  assert.equal(isWgKey(Buffer.alloc(32).toString('base64')), true);
});

function hasWg(): boolean {
  try {
    execFileSync('wg', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
