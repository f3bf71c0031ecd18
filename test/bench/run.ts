// Runs every benchmark in turn (`make bench`). Each module runs its benchmark when imported.
const BENCHES = ['./ovsdb.ts', './ovs.ts'];

for (const b of BENCHES) {
  console.log(`\n== ${b}`);
  await import(b);
}
