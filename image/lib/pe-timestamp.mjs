// Makes a PE/COFF executable reproducible: objcopy (binutils 2.40) stamps the build time into
// the COFF header. Sets TimeDateStamp to SOURCE_DATE_EPOCH and recomputes the optional
// header's CheckSum (the PE algorithm: 16-bit one's-complement sum, then the file length).
// Usage: node pe-timestamp.mjs FILE
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.argv[2];
const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? 0);
const b = readFileSync(file);
const pe = b.readUInt32LE(0x3c);
if (b.toString('latin1', pe, pe + 4) !== 'PE\0\0') throw new Error(`${file}: not a PE file`);
b.writeUInt32LE(epoch >>> 0, pe + 8);
const sumAt = pe + 24 + 64;
b.writeUInt32LE(0, sumAt);
let sum = 0;
for (let i = 0; i + 1 < b.length; i += 2) {
  sum += b.readUInt16LE(i);
  sum = (sum & 0xffff) + (sum >>> 16);
}
if (b.length % 2) {
  sum += b[b.length - 1];
  sum = (sum & 0xffff) + (sum >>> 16);
}
sum = (sum & 0xffff) + (sum >>> 16);
b.writeUInt32LE((sum + b.length) >>> 0, sumAt);
writeFileSync(file, b);
