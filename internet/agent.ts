// The agent's run, start to exit, as named phases: recover probe namespaces, check input,
// keep a configured node as it is, take a half-built zos apart, bring the network up (discover
// or take ip=, build zos, apply), hand off to zinit. It never gives up on the network (a
// oneshot exiting non-zero blocks every dependent forever): failures retry with capped backoff
// while the status file stays current.
import { dirname, join } from 'node:path';
import { backoffDelay, sleep, type Backoff } from '../lib/backoff.ts';
import {
  choiceRefused,
  InternalError,
  noNic,
  RtnlError,
  toAppError,
  ValidationError,
  zosNotBridge,
} from '../lib/errors.ts';
import { getLink } from '../lib/ip.ts';
import type { Logger } from '../lib/log.ts';
import { SELF } from '../lib/netns.ts';
import { applyChoice, applyStatic, type Applied } from './zos/apply.ts';
import { dismantleZos, ensureZosBridge } from './zos/bridge.ts';
import type { CliOptions } from './cli.ts';
import type { InternetSettings } from './settings.ts';
import { dhcpZosInPlace, handoff, removeDhcpZos, type HandoffResult } from './handoff/handoff.ts';
import { preflight, type Preflight } from './preflight.ts';
import { isOnline, portMatchesPin, readZosState, type ZosState } from './zos/state.ts';
import { StatusWriter, type AgentStatus } from './status.ts';
import { addrValue } from './discover/choose.ts';
import type { DiscoverOptions, DiscoverResult } from './types.ts';

/** Exit codes (documented in README.md). */
export const EXIT = { ONLINE: 0, INTERNAL: 1, BAD_INPUT: 2, UNSUPPORTED: 3, ABORTED: 143 } as const;

/** Backoff between attempts of a phase: 0.5 s x1.5 each time, capped at 30 s, +-20 % jitter. */
export const RETRY_BACKOFF: Backoff = { baseMs: 500, capMs: 30_000, factor: 1.5, jitter: [0.8, 1.2] };

/** Discovery as the agent uses it (discover.ts; tests pass a stand-in). */
export interface AgentDeps {
  discover(opts: DiscoverOptions): Promise<DiscoverResult>;
  recoverProbeNamespaces(log: Logger, runDir?: string): Promise<string[]>;
}

/** What every phase shares: input, logger, status file, abort signal, and the exits. */
interface Run {
  cli: CliOptions;
  deps: AgentDeps;
  log: Logger;
  signal: AbortSignal;
  status: StatusWriter;
  settings: Pick<InternetSettings, 'zinitWaitMs'>;
  setStatus(patch: Partial<AgentStatus>): Promise<void>;
}

/** What the network phase made: what is on zos, on which NIC, and why that one. */
interface Network {
  applied: Applied;
  nic: string;
  mac: string;
  reason: string;
}

/** Runs the agent; resolves with the exit code. */
export async function runAgent(
  cli: CliOptions,
  deps: AgentDeps,
  log: Logger,
  signal: AbortSignal,
  settings: Pick<InternetSettings, 'zinitWaitMs'>,
): Promise<number> {
  const status = new StatusWriter(cli.status);
  const run: Run = {
    cli,
    deps,
    log,
    signal,
    status,
    settings,
    setStatus: (patch) =>
      status.update(patch, (err) => log.warn('status-write-failed', { path: cli.status, error: String(err) })),
  };
  log.info('start', { pid: process.pid, nics: cli.nics?.join(','), status: cli.status });
  await recover(run);
  const checked = await checkInput(run);
  if (typeof checked === 'number') return checked;
  const zosState = await inspect(run, checked);
  const kept = await keepConfigured(run, checked, zosState);
  if (kept !== undefined) return kept;
  const repaired = await takeApartHalfBuilt(run, zosState);
  if (repaired !== undefined) return repaired;
  const discovery = new DiscoveryHandle();
  try {
    const net = await withRetry(run, 'network', (attempt) => bringUpNetwork(run, checked, discovery, attempt));
    if (typeof net === 'number') return net;
    // zos has its route: the other NICs come home now, beside the hand-off (which may retry
    // for a long time if zinit does not answer; they must not wait in their namespaces for it).
    void discovery.close();
    return await handOff(run, checked, net.applied, net.nic, net.mac, { reason: net.reason });
  } finally {
    await discovery.close(); // nothing is left in a probe namespace when the agent exits
  }
}

/** Phase 1: NICs a killed agent left in probe namespaces come home before anything else. */
async function recover(run: Run): Promise<void> {
  void run.setStatus({ phase: 'recovering' });
  const recovered = await run.deps.recoverProbeNamespaces(run.log, dirname(run.cli.status));
  if (recovered.length) run.log.info('recovered-nics', { nics: recovered.join(',') });
}

/** Phase 2: all input checked before anything changes; bad input exits 2 naming it. */
async function checkInput(run: Run): Promise<Preflight | number> {
  let checked: Preflight;
  try {
    checked = await preflight(run.cli, run.settings.zinitWaitMs, { log: run.log, signal: run.signal });
  } catch (err) {
    if (run.signal.aborted) return aborted(run); // SIGTERM while waiting for zinit's socket
    const e = toAppError(err);
    run.log.error('bad-input', { code: e.code, error: e.message });
    process.stderr.write(`internet: ${e.message}\n`); // unquoted, for the operator's eyes
    await run.setStatus({ phase: 'failed', error: errorOf(e) });
    return e instanceof InternalError ? EXIT.INTERNAL : EXIT.BAD_INPUT;
  }
  const { kernel } = checked;
  run.log.setDebug(kernel.debug);
  for (const w of kernel.warnings) run.log.warn('cmdline-ignored', { detail: w });
  run.log.debug('input', {
    zinitGeneration: checked.generation,
    pin: kernel.pin,
    vlanPriv: kernel.vlanPriv,
    vlanPub: kernel.vlanPub,
    static: kernel.static?.address,
  });
  return checked;
}

/** Phase 3: what is on the node already (zos complete, half-built, or absent). */
async function inspect(run: Run, checked: Preflight): Promise<ZosState> {
  await run.setStatus({ phase: 'checking' });
  return readZosState(SELF, checked.links);
}

/** Phase 4: a node already online as asked is kept; only a missing hand-off is fixed. */
async function keepConfigured(run: Run, checked: Preflight, zosState: ZosState): Promise<number | undefined> {
  const { kernel, client } = checked;
  if (!(isOnline(zosState) && portMatchesPin(zosState, kernel.pin) && staticMatches(zosState, kernel.static)))
    return undefined;
  const port = zosState.ports[0]!;
  const applied: Applied = {
    mode: kernel.static ? 'static' : zosState.default4 ? 'dhcp' : 'ra',
    addresses: [...zosState.v4, ...zosState.v6],
    gateways: [zosState.default4, zosState.default6].filter((g): g is string => !!g),
    dns: [],
    ...(!kernel.static && zosState.default4 ? { leasedIp: zosState.v4[0]!.split('/')[0]! } : {}),
  };
  if (
    applied.leasedIp === undefined ||
    (await dhcpZosInPlace(client, run.cli.zinitDir, dhcpSpec(run.cli, applied.leasedIp)))
  ) {
    await run.setStatus({
      phase: 'online',
      nic: port.name,
      mac: zosState.mac,
      mode: applied.mode,
      addresses: applied.addresses,
      gateways: applied.gateways,
      reason: 'already configured',
      handoff: 'unchanged',
      totalMs: run.status.now(),
    });
    run.log.info('already-configured', {
      nic: port.name,
      address: applied.addresses.join(','),
      totalMs: run.status.now(),
    });
    return EXIT.ONLINE;
  }
  run.log.info('repair', { what: 'zos is online but dhcp-zos is not registered: hand-off only' });
  return handOff(run, checked, applied, port.name, zosState.mac ?? '', { reason: 'repaired hand-off' });
}

/** Phase 5: a half-built zos (ours: a bridge) is taken apart to start over; anything else stops. */
async function takeApartHalfBuilt(run: Run, zosState: ZosState): Promise<number | undefined> {
  if (!zosState.exists) return undefined;
  try {
    if (zosState.kind !== 'bridge') throw zosNotBridge(zosState.kind, ': not ours to take apart');
    run.log.info('repair', {
      what: 'half-built zos: taking it apart and starting over',
      ports: zosState.ports.map((p) => p.name).join(',') || undefined,
      addresses: [...zosState.v4, ...zosState.v6].join(',') || undefined,
    });
    await dismantleZos(SELF, run.log);
    return undefined;
  } catch (err) {
    return stop(run, err, 'repair');
  }
}

/**
 * The latest discovery of this run: its losing NICs stay in their namespaces until close()
 * (after zos is online) or the next discovery, which closes the one before it first.
 */
class DiscoveryHandle {
  private current: DiscoverResult | undefined;
  /** NICs whose choice could not be applied, most recent last: discovery ranks them last. */
  readonly avoid: string[] = [];

  /** The choice on `nic` could not be applied: next time another NIC first. */
  failed(nic: string): void {
    this.avoid.splice(0, this.avoid.length, ...this.avoid.filter((n) => n !== nic), nic);
  }

  /** Discovers again, after the previous attempt's NICs are home. */
  async next(deps: AgentDeps, opts: DiscoverOptions): Promise<DiscoverResult> {
    await this.close();
    this.current = await deps.discover(opts);
    return this.current;
  }

  /** Brings the latest discovery's NICs home; idempotent, never rejects. */
  close(): Promise<void> {
    return this.current?.close() ?? Promise.resolve();
  }
}

/** Phase 6, one attempt: find the NIC (or take ip=), build zos on it, apply the configuration. */
async function bringUpNetwork(
  run: Run,
  checked: Preflight,
  discovery: DiscoveryHandle,
  attempt: number,
): Promise<Network> {
  const { kernel } = checked;
  const { cli, log, signal } = run;
  await run.setStatus({ phase: kernel.static ? 'configuring' : 'discovering', attempt });
  let nic: string, mac: string, reason: string;
  let choice: DiscoverResult['choice'] | undefined;
  if (kernel.static) {
    nic = kernel.static.device;
    const link = await getLink(SELF, nic);
    if (!link?.address) throw noNic(`ip= device "${nic}" has gone`, { field: 'ip=', nic });
    mac = link.address;
    reason =
      'static ip= on the kernel command line' + (kernel.static.onlink ? ', gateway outside the subnet: onlink' : '');
  } else {
    const r = await discovery.next(run.deps, {
      nics: cli.nics,
      pin: kernel.pin,
      vlan: kernel.vlanPriv,
      runDir: dirname(cli.status),
      avoid: [...discovery.avoid],
      log,
      signal,
      // The preflight's read of the links, for the first attempt on a node without zos (one
      // the agent may have taken apart since) only: a retry reads them again.
      ...(attempt <= 1 && !checked.links.some((l) => l.ifname === 'zos' || l.master === 'zos')
        ? { links: checked.links }
        : {}),
      now: () => run.status.now(),
      onProgress: (probes) => {
        void run.setStatus({ probes });
      },
    });
    // written in order; not awaited: each write is fsync'd, and zos is waiting
    void run.setStatus({ probes: r.probes });
    choice = r.choice;
    ({ nic, mac, reason } = choice);
  }
  signal.throwIfAborted();
  void run.setStatus({ phase: 'configuring', nic, mac, reason });
  try {
    await ensureZosBridge({ ns: SELF, nic, mac, vlanPriv: kernel.vlanPriv, vlanPub: kernel.vlanPub, log });
    signal.throwIfAborted();
    const o = { ns: SELF, nic, resolvConf: cli.resolvConf, log };
    const applied = choice ? await applyChoice(o, choice) : await applyStatic(o, kernel.static!);
    return { applied, nic, mac, reason };
  } catch (err) {
    await dismantleZos(SELF, log).catch((e: unknown) =>
      log.warn('bridge.dismantle-failed', { error: toAppError(e).message }),
    );
    if (choice) discovery.failed(nic);
    // The kernel refusing a discovered choice (its lease, its NIC) is retried with another; refusing ip= stands.
    if (choice && err instanceof RtnlError && !err.retryable) throw choiceRefused(nic, err);
    throw err;
  }
}

/** Phase 7: register dhcp-zos with zinit (or remove a stale one), then report online. */
async function handOff(
  run: Run,
  checked: Preflight,
  applied: Applied,
  nic: string,
  mac: string,
  extra: Partial<AgentStatus> = {},
): Promise<number> {
  const { cli, log, status } = run;
  void run.setStatus({
    phase: 'handoff',
    nic,
    mac,
    mode: applied.mode,
    addresses: applied.addresses,
    gateways: applied.gateways,
    dns: applied.dns,
    ...extra,
  });
  // A hand-off counts once zinit runs dhcp-zos (handoff() asks it); until then it is retried.
  const done = await withRetry(
    run,
    'handoff',
    async (): Promise<HandoffResult> =>
      applied.leasedIp !== undefined
        ? handoff(checked.client, cli.zinitDir, dhcpSpec(cli, applied.leasedIp), log)
        : { action: (await removeDhcpZos(checked.client, cli.zinitDir, log)) ? 'removed' : 'none' },
  );
  if (typeof done === 'number') return done;
  await run.setStatus({
    phase: 'online',
    handoff: done.action,
    dhcpZos: done.service,
    totalMs: status.now(),
    error: undefined,
  });
  log.info('online', {
    nic,
    mac,
    mode: applied.mode,
    address: applied.addresses.join(','),
    gateway: applied.gateways.join(','),
    totalMs: status.now(),
  });
  return EXIT.ONLINE;
}

/** Retries `step` with capped backoff until it works; returns an exit code if it must stop. */
async function withRetry<T>(run: Run, what: string, step: (attempt: number) => Promise<T>): Promise<T | number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step(attempt);
    } catch (err) {
      if (run.signal.aborted) return aborted(run);
      const e = toAppError(err);
      if (!e.retryable) return stop(run, e, what);
      const delay = backoffDelay(attempt, RETRY_BACKOFF);
      run.log.error('retry', { step: what, attempt, code: e.code, error: e.message, inMs: delay });
      await run.setStatus({ phase: 'retrying', attempt, error: errorOf(e) });
      try {
        await sleep(delay, run.signal);
      } catch {
        return aborted(run);
      }
    }
  }
}

/**
 * Gives up on something retrying cannot fix (exit 2 for input, 3 otherwise), or on a failed repair (exit 1); the status
 * says why.
 */
async function stop(run: Run, err: unknown, step: string): Promise<number> {
  const e = toAppError(err);
  run.log.error('cannot-continue', { step, code: e.code, error: e.message });
  process.stderr.write(`internet: ${e.message}\n`);
  await run.setStatus({ phase: 'failed', error: errorOf(e) });
  return e.retryable ? EXIT.INTERNAL : e instanceof ValidationError ? EXIT.BAD_INPUT : EXIT.UNSUPPORTED;
}

/** Stopped by a signal: exit 143, the status says so. */
async function aborted(run: Run): Promise<number> {
  run.log.info('aborted', { reason: String(run.signal.reason?.message ?? run.signal.reason) });
  await run.setStatus({ phase: 'aborted' });
  return EXIT.ABORTED;
}

const errorOf = (err: unknown) => {
  const e = toAppError(err);
  return { code: e.code, message: e.message };
};

/** dhcp-zos's hook script lives beside the status file (/run/internet on a node: tmpfs, per boot). */
const dhcpSpec = (cli: CliOptions, leasedIp: string) => ({
  leasedIp,
  script: join(dirname(cli.status), 'dhcp-zos.script'),
  resolvConf: cli.resolvConf,
});

/** With ip=, zos counts as configured only with that address and gateway on that device. */
function staticMatches(zosState: ZosState, s: Preflight['kernel']['static']): boolean {
  if (!s) return true;
  const same = (a: string | undefined, b: string) =>
    a !== undefined && (s.family === 4 ? a === b : addrValue(a) === addrValue(b));
  const addrs = s.family === 4 ? zosState.v4 : zosState.v6;
  return (
    addrs.some((a) => a.endsWith(`/${s.prefix}`) && same(a.split('/')[0], s.address)) &&
    same(s.family === 4 ? zosState.default4 : zosState.default6, s.gateway) &&
    zosState.ports.some((p) => p.name === s.device)
  );
}
