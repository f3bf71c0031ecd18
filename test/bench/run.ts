// `make bench`: runs each bench module in turn. A bench module exports `title` and `run()`;
// add new ones to the list below.
const benches: (() => Promise<{ title: string; run(): Promise<void> }>)[] = [
  () => import('./agent.ts'),
  () => import('./ovs.ts'),
  () => import('./vlan-scale.ts'),
  () => import('./nics.ts'),
  () => import('./ovs-ports.ts'),
  () => import('./ovsdb.ts'),
  () => import('./spawn.ts'),
  () => import('./serve-limits.ts'),
  () => import('./boot.ts'),
  () => import('./node-scale.ts'),
  () => import('./overlay.ts'),
  () => import('./zerotier.ts'),
  () => import('./fleet.ts'),
];

async function main(): Promise<void> {
  const filter = process.argv[2];
  for (const load of benches) {
    const b = await load();
    if (filter && !b.title.includes(filter)) continue;
    const t0 = Date.now();
    await b.run();
    console.log(`(${b.title}: ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
