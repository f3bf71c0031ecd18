// Crash tests: OVS_PLUGIN_FAILPOINT names a step (`attach:veth`, `detach:port`, ...); when the
// process reaches it, it SIGKILLs itself, as a power cut or an OOM kill would; `write:N:ENOSPC`
// fails the Nth state write instead. Unset: a no-op.

/** Every step name this process passed, in order (tests list them to kill at each one). */
export const passed: string[] = [];

const t0 = performance.now();

/** This process's hooks (settings.ts sets them at start from OVS_PLUGIN_TRACE and OVS_PLUGIN_FAILPOINT). */
let hooks: { trace: boolean; failpoint: string } = { trace: false, failpoint: '' };

/** Sets the hooks for the rest of this process. */
export function setFailpoints(h: { trace: boolean; failpoint: string }): void {
  hooks = { ...h };
}

/** Kills this process with SIGKILL if OVS_PLUGIN_FAILPOINT is `step`; OVS_PLUGIN_TRACE=1 prints each step's time to stderr. */
export function failpoint(step: string): void {
  passed.push(step);
  if (hooks.trace) process.stderr.write(`${step} ${(performance.now() - t0).toFixed(1)}\n`);
  if (hooks.failpoint === step) process.kill(process.pid, 'SIGKILL');
}

let writes = 0;

/**
 * Counts this process's state writes; OVS_PLUGIN_FAILPOINT=`write:N:ENOSPC` makes the Nth fail
 * with ENOSPC, as a full file system would (crash tests of a write that did not happen).
 */
export function writeFault(): void {
  writes++;
  const m = /^write:(\d+):(E[A-Z]+)$/.exec(hooks.failpoint);
  if (m && Number(m[1]) === writes) throw Object.assign(new Error(`${m[2]}: injected by OVS_PLUGIN_FAILPOINT`), { code: m[2] });
}
