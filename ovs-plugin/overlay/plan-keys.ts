// WireGuard keys: X25519 (RFC 7748) with node:crypto, written as WireGuard does, the raw 32
// bytes in standard base64 (44 characters ending in `=`). The private key's clamping is done by
// X25519 itself, so any 32 bytes are a key, as in `wg genkey`.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';

/** A key pair in WireGuard's text form. */
export interface WgKeyPair {
  readonly privateKey: string;
  readonly publicKey: string;
}

// PKCS#8 DER header of an X25519 private key (RFC 8410 section 7): the 32 raw bytes follow.
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** True when `v` is exactly 32 bytes in canonical standard base64 (what `wg` reads as a key). */
export function isWgKey(v: unknown): v is string {
  return typeof v === 'string' && /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(v);
}

/** A fresh key pair (`wg genkey | wg pubkey`). */
export function generateKeyPair(): WgKeyPair {
  const { privateKey } = generateKeyPairSync('x25519');
  const d = privateKey.export({ format: 'jwk' }).d!;
  const priv = Buffer.from(d, 'base64url').toString('base64');
  return { privateKey: priv, publicKey: publicKeyOf(priv) };
}

/** The public key of a private key (`wg pubkey`); the caller checked it with isWgKey. */
export function publicKeyOf(privateKey: string): string {
  const der = Buffer.concat([PKCS8_X25519, Buffer.from(privateKey, 'base64')]);
  const pub = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
  return Buffer.from(pub.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
}
