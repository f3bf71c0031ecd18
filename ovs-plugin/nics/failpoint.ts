// Crash tests: OVS_PLUGIN_FAILPOINT names a step (`attach:veth`, `detach:port`, ...); when the
// process reaches it, it SIGKILLs itself, as a power cut or an OOM kill would. Unset: a no-op.

/** Every step name this process passed, in order (tests list them to kill at each one). */
export const passed: string[] = [];

const t0 = performance.now();

/** Kills this process with SIGKILL if OVS_PLUGIN_FAILPOINT is `step`; OVS_PLUGIN_TRACE=1 prints each step's time to stderr. */
export function failpoint(step: string): void {
  passed.push(step);
  if (process.env.OVS_PLUGIN_TRACE) process.stderr.write(`${step} ${(performance.now() - t0).toFixed(1)}\n`);
  if (process.env.OVS_PLUGIN_FAILPOINT === step) process.kill(process.pid, 'SIGKILL');
}
