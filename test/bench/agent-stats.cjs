// Preloaded into the agent by the bench (`node --require <this> dist/internet.js ...`; CommonJS:
// `--import` of an ES module costs Node 20 ~0.13 s at start, a CommonJS preload nothing): counts
// the child processes it starts (every spawn, execa's included, goes through
// ChildProcess.prototype.spawn) and, at exit, writes them and the agent's own CPU time
// (user + system, without its children) and the commands (ms since start, argv) as JSON to
// $BENCH_STATS_FILE. Works on any bundle, so an old build is measured the same way as the new one.
const { ChildProcess } = require('node:child_process');
const { writeFileSync } = require('node:fs');

const file = process.env.BENCH_STATS_FILE;
let children = 0;
const commands = [];
const t0 = Date.now();
const spawn = ChildProcess.prototype.spawn;
ChildProcess.prototype.spawn = function counted(...args) {
  children++;
  const o = args[0] ?? {};
  commands.push(`${Date.now() - t0} ${(o.args ?? [o.file]).join(' ').slice(0, 120)}`);
  return spawn.apply(this, args);
};
process.on('exit', () => {
  const u = process.cpuUsage();
  if (file) writeFileSync(file, JSON.stringify({ children, cpuMs: Math.round((u.user + u.system) / 1000), commands }));
});
