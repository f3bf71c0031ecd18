// Benchmark: what one child process costs the agent's only thread, through lib/exec.ts (spawn)
// and through node:child_process directly, one at a time and nine at once (as nine probes
// start). The anchor is execFile; docs/internet.md explains the agent's fork budget with it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { run as exec } from '../../lib/exec.ts';

const execFileP = promisify(execFile);
const N = 180;

/** Name shown by test/bench/run.ts. */
export const title = 'child process cost: lib/exec vs execFile';

async function row(name: string, parallel: number, fn: () => Promise<unknown>) {
  for (let i = 0; i < 20; i++) await fn(); // warm up the JIT
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < N / parallel; i++) await Promise.all(Array.from({ length: parallel }, fn));
  const cpu = process.cpuUsage(cpu0);
  return {
    name,
    parallel,
    n: N,
    'wall ms/call': ((performance.now() - t0) / N).toFixed(2),
    'agent CPU ms/call': ((cpu.user + cpu.system) / 1000 / N).toFixed(2),
  };
}

/** Measures every row and prints the table. */
export async function run(): Promise<void> {
  const args = ['-j', 'link', 'show', 'lo'];
  const rows = [];
  for (const parallel of [1, 9]) {
    rows.push(await row('lib/exec run', parallel, () => exec('ip', args)));
    rows.push(await row('node:child_process execFile', parallel, () => execFileP('ip', args)));
  }
  console.log(`\n${title}: \`ip ${args.join(' ')}\`, ${N} calls per row`);
  console.table(rows);
}
