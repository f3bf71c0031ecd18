// `make lint`'s line-length check: every tracked source line within 120 characters (the
// formatter's width; it cannot break a long string or comment, so this catches those). Prints
// each offending line as FILE:LINE: LENGTH and exits 1 if there is any. Never writes.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX = 120;
const files = execFileSync('git', ['ls-files', '-z', '*.ts', '*.mjs', '*.cjs'], { encoding: 'utf8' })
  .split('\0')
  .filter(Boolean);
let bad = 0;
for (const f of files) {
  readFileSync(f, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if ([...line].length > MAX) {
        bad++;
        console.log(`${f}:${i + 1}: ${[...line].length} > ${MAX}`);
      }
    });
}
if (bad) {
  console.log(`line-length: ${bad} lines over ${MAX} characters`);
  process.exit(1);
}
