// The agent's run, start to exit: recover probe namespaces, check input, keep a configured
// node as it is, repair a half-built one, else discover (or take ip=), build zos, apply, hand
// off to zinit. It never gives up on the network (a oneshot exiting non-zero blocks every
// dependent forever): failures retry with capped backoff while the status file stays current.
import { dirname, join } from 'node:path';
import { AppError, toAppError } from '../lib/errors.ts';
import { listLinks } from '../lib/ip.ts';
import type { Logger } from '../lib/log.ts';
import { applyChoice, applyStatic, type Applied } from './zos/apply.ts';
import { BridgeError, dismantleZos, ensureZosBridge } from './zos/bridge.ts';
import type { CliOptions } from './cli.ts';
import { dhcpZosInPlace, handoff, removeDhcpZos, type HandoffResult } from './handoff/handoff.ts';
import { preflight, type Preflight } from './preflight.ts';
import { isOnline, portMatchesPin, readZosState, type ZosState } from './zos/state.ts';
import { StatusWriter, type AgentStatus } from './status.ts';
import type { DiscoverOptions, DiscoverResult } from './types.ts';

/** Exit codes (documented in README.md). */
export const EXIT = { ONLINE: 0, INTERNAL: 1, BAD_INPUT: 2, UNSUPPORTED: 3, ABORTED: 143 } as const;

/** Errors that retrying cannot fix: the kernel cannot do what the command line asks, or zos is not ours. */
const FATAL = new Set(['EVLANFILTER', 'EVLAN_UNSUPPORTED', 'EZOSNOTBRIDGE']);

/** Discovery as the agent uses it (discover.ts; tests pass a stand-in). */
export interface AgentDeps {
  discover(opts: DiscoverOptions): Promise<DiscoverResult>;
  recoverProbeNamespaces(log: Logger): Promise<string[]>;
}

/** Backoff before retry `n` (1-based): 0.5 s x1.5 each time, capped at `capMs`, +-20 % jitter. */
export function retryDelay(n: number, capMs = 30_000, rnd = Math.random): number {
  const base = Math.min(500 * 1.5 ** (n - 1), capMs);
  return Math.round(base * (0.8 + 0.4 * rnd()));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => { clearTimeout(t); reject(signal.reason); };
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs the agent; resolves with the exit code. */
export async function runAgent(cli: CliOptions, deps: AgentDeps, log: Logger, signal: AbortSignal): Promise<number> {
  const status = new StatusWriter(cli.status);
  const st = (patch: Partial<AgentStatus>) => status.update(patch, (err) => log.warn('status-write-failed', { path: cli.status, error: String(err) }));
  const errorOf = (err: unknown) => { const e = toAppError(err); return { code: e.code, message: e.message }; };
  log.info('start', { pid: process.pid, nics: cli.nics?.join(','), status: cli.status });
  void st({ phase: 'recovering' });
  const recovered = await deps.recoverProbeNamespaces(log);
  if (recovered.length) log.info('recovered-nics', { nics: recovered.join(',') });

  let pre: Preflight;
  try {
    pre = await preflight(cli, { log, signal });
  } catch (err) {
    if (signal.aborted) { log.info('aborted', { reason: 'signal while checking input' }); await st({ phase: 'aborted' }); return EXIT.ABORTED; }
    const e = toAppError(err);
    log.error('bad-input', { code: e.code, error: e.message });
    process.stderr.write(`internet: ${e.message}\n`); // unquoted, for the operator's eyes
    await st({ phase: 'failed', error: errorOf(e) });
    return e.code === 'EINTERNAL' ? EXIT.INTERNAL : EXIT.BAD_INPUT;
  }
  const { kernel, client } = pre;
  log.setDebug(kernel.debug);
  log.debug('input', { zinitGeneration: pre.generation, pin: kernel.pin, vlanPriv: kernel.vlanPriv, vlanPub: kernel.vlanPub, static: kernel.static?.address });

  // dhcp-zos's hook script lives beside the status file (/run/internet on a node: tmpfs, per boot).
  const dhcpSpec = (leasedIp: string) => ({ leasedIp, script: join(dirname(cli.status), 'dhcp-zos.script'), resolvConf: cli.resolvConf });
  const finish = async (applied: Applied, nic: string, mac: string, extra: Partial<AgentStatus> = {}): Promise<number> => {
    await st({ phase: 'handoff', nic, mac, mode: applied.mode, addresses: applied.addresses, gateways: applied.gateways, dns: applied.dns, ...extra });
    // A hand-off counts once zinit runs dhcp-zos (handoff() asks it); until then it is retried.
    const done = await withRetry('handoff', async (): Promise<HandoffResult> => applied.leasedIp !== undefined
      ? handoff(client, cli.zinitDir, dhcpSpec(applied.leasedIp), log)
      : { action: (await removeDhcpZos(client, cli.zinitDir, log)) ? 'removed' : 'none' });
    if (typeof done === 'number') return done;
    await st({ phase: 'online', handoff: done.action, dhcpZos: done.service, totalMs: status.now(), error: undefined });
    log.info('online', { nic, mac, mode: applied.mode, address: applied.addresses.join(','), gateway: applied.gateways.join(','), totalMs: status.now() });
    return EXIT.ONLINE;
  };

  // Retries `step` with capped backoff until it works; returns an exit code if it must stop.
  const withRetry = async <T>(what: string, step: (attempt: number) => Promise<T>): Promise<T | number> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await step(attempt);
      } catch (err) {
        if (signal.aborted) return aborted();
        const e = toAppError(err);
        if (FATAL.has(e.code)) return stop(e, what);
        const delay = retryDelay(attempt);
        log.error('retry', { step: what, attempt, code: e.code, error: e.message, inMs: delay });
        await st({ phase: 'retrying', attempt, error: errorOf(e) });
        try { await sleep(delay, signal); } catch { return aborted(); }
      }
    }
  };
  // Gives up on something retrying cannot fix: exit 3 (FATAL codes) or 1, the status says why.
  const stop = async (err: unknown, step: string): Promise<number> => {
    const e = toAppError(err);
    log.error('cannot-continue', { step, code: e.code, error: e.message });
    process.stderr.write(`internet: ${e.message}\n`);
    await st({ phase: 'failed', error: errorOf(e) });
    return FATAL.has(e.code) ? EXIT.UNSUPPORTED : EXIT.INTERNAL;
  };
  const aborted = async (): Promise<number> => {
    log.info('aborted', { reason: String(signal.reason?.message ?? signal.reason) });
    await st({ phase: 'aborted' });
    return EXIT.ABORTED;
  };

  // 1. Already configured? Then check, fix only a missing hand-off, and exit.
  await st({ phase: 'checking' });
  const zs = await readZosState(undefined);
  if (isOnline(zs) && portMatchesPin(zs, kernel.pin) && staticMatches(zs, kernel.static)) {
    const port = zs.ports[0]!;
    const applied: Applied = {
      mode: kernel.static ? 'static' : zs.default4 ? 'dhcp' : 'ra', addresses: [...zs.v4, ...zs.v6],
      gateways: [zs.default4, zs.default6].filter((g): g is string => !!g), dns: [],
      ...(!kernel.static && zs.default4 ? { leasedIp: zs.v4[0]!.split('/')[0]! } : {}),
    };
    if (applied.leasedIp === undefined || await dhcpZosInPlace(client, cli.zinitDir, dhcpSpec(applied.leasedIp))) {
      await st({ phase: 'online', nic: port.name, mac: zs.mac, mode: applied.mode, addresses: applied.addresses, gateways: applied.gateways,
        reason: 'already configured', handoff: 'unchanged', totalMs: status.now() });
      log.info('already-configured', { nic: port.name, address: applied.addresses.join(','), totalMs: status.now() });
      return EXIT.ONLINE;
    }
    log.info('repair', { what: 'zos is online but dhcp-zos is not registered: hand-off only' });
    return finish(applied, port.name, zs.mac ?? '', { reason: 'repaired hand-off' });
  }
  if (zs.exists) {
    try {
      if (zs.kind !== 'bridge') throw new BridgeError('EZOSNOTBRIDGE', `"zos" exists but is not a bridge (kind ${zs.kind}): not ours to take apart`);
      log.info('repair', { what: 'half-built zos: taking it apart and starting over', ports: zs.ports.map((p) => p.name).join(',') || undefined,
        addresses: [...zs.v4, ...zs.v6].join(',') || undefined });
      await dismantleZos(undefined, log);
    } catch (err) {
      return stop(err, 'repair');
    }
  }

  // 2. Find the network (or take ip=), build zos, apply; retried until it works.
  let othersHome: (() => Promise<void>) | undefined;
  const net = await withRetry('network', async (attempt) => {
    await othersHome?.(); // a previous attempt's losing NICs are home before probing again
    await st({ phase: kernel.static ? 'configuring' : 'discovering', attempt });
    let nic: string, mac: string, reason: string;
    let choice: DiscoverResult['choice'] | undefined;
    if (kernel.static) {
      nic = kernel.static.device;
      const [link] = await listLinks(undefined, nic);
      if (!link?.address) throw new AppError('ENONIC', `ip= device "${nic}" has gone`);
      mac = link.address;
      reason = 'static ip= on the kernel command line';
    } else {
      const r = await deps.discover({ nics: cli.nics, pin: kernel.pin, vlan: kernel.vlanPriv, log, signal,
        now: () => status.now(), onProgress: (probes) => { void st({ probes }); } });
      await st({ probes: r.probes });
      othersHome = r.othersHome;
      choice = r.choice;
      ({ nic, mac, reason } = choice);
    }
    signal.throwIfAborted();
    await st({ phase: 'configuring', nic, mac, reason });
    try {
      await ensureZosBridge({ nic, mac, vlanPriv: kernel.vlanPriv, vlanPub: kernel.vlanPub, log });
      signal.throwIfAborted();
      const o = { nic, resolvConf: cli.resolvConf, log };
      const applied = choice ? await applyChoice(o, choice) : await applyStatic(o, kernel.static!);
      return { applied, nic, mac, reason };
    } catch (err) {
      await dismantleZos(undefined, log).catch(() => {});
      throw err;
    }
  });
  if (typeof net === 'number') { await othersHome?.(); return net; }
  // zos has its route: the other NICs come home now, beside the hand-off (which may retry for
  // a long time if zinit does not answer; they must not wait in their namespaces for it).
  const others = othersHome?.();
  const code = await finish(net.applied, net.nic, net.mac, { reason: net.reason });
  await others; // nothing is left in a probe namespace when the agent exits
  return code;
}

/** With ip=, zos counts as configured only with that address and gateway on that device. */
function staticMatches(zs: ZosState, s: Preflight['kernel']['static']): boolean {
  if (!s) return true;
  return zs.v4.includes(`${s.address}/${s.prefix}`) && zs.default4 === s.gateway && zs.ports.some((p) => p.name === s.device);
}
