// /run/internet/status.json: what the agent is doing and what it chose (zos#1752: no visibility
// into which NIC the node booted with). Rewritten atomically on every event, so a reader never
// sees half a file; `internet status` prints it.
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../lib/atomic-file.ts';
import type { ErrorCode } from '../lib/errors.ts';
import type { ProbeResult } from './types.ts';

/** Where the run is; `online`, `aborted` and `failed` are final. */
export type Phase =
  | 'starting'
  | 'recovering'
  | 'checking'
  | 'discovering'
  | 'configuring'
  | 'handoff'
  | 'retrying'
  | 'online'
  | 'aborted'
  | 'failed';

/** The status file's content (version 1). Times in ms since the agent started. */
export interface AgentStatus {
  version: 1;
  phase: Phase;
  pid: number;
  startedAt: string;
  updatedAt: string;
  elapsedMs: number;
  /** Set when phase is online: time from start to the node being online. */
  totalMs?: number;
  nic?: string;
  mac?: string;
  mode?: 'dhcp' | 'ra' | 'static';
  reason?: string;
  addresses: string[];
  gateways: string[];
  dns: string[];
  /** dhcp-zos hand-off result: monitored, unchanged, reloaded, removed, none. */
  handoff?: string;
  /** dhcp-zos as zinit reported it when the hand-off counted (`Running` and its pid). */
  dhcpZos?: { state: string; pid: number };
  attempt: number;
  probes: ProbeResult[];
  error?: { code: ErrorCode; message: string };
}

/**
 * Keeps the status in memory and writes it after each change, in order (the last write wins).
 * Changes that come while a write is in flight are coalesced into the one write queued after it
 * (the text is taken when that write starts): with many NICs, progress comes faster than
 * fsync'd writes, and a phase that awaits its write must not wait for a backlog of stale ones.
 */
export class StatusWriter {
  readonly status: AgentStatus;
  private chain: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private readonly t0: number;

  constructor(
    readonly path: string,
    t0 = Date.now(),
  ) {
    this.t0 = t0;
    this.status = {
      version: 1,
      phase: 'starting',
      pid: process.pid,
      startedAt: new Date(t0).toISOString(),
      updatedAt: new Date(t0).toISOString(),
      elapsedMs: 0,
      addresses: [],
      gateways: [],
      dns: [],
      attempt: 0,
      probes: [],
    };
  }

  /** Milliseconds since start. */
  now(): number {
    return Date.now() - this.t0;
  }

  /** Merges `patch` and queues a write; write errors are reported to `onError`, never thrown. */
  update(patch: Partial<AgentStatus>, onError?: (err: unknown) => void): Promise<void> {
    Object.assign(this.status, patch);
    if (patch.error === undefined && 'error' in patch) delete this.status.error;
    if (this.queued) return this.queued;
    this.queued = this.chain
      .then(() => {
        this.queued = undefined; // changes from now on need the next write
        this.status.updatedAt = new Date().toISOString();
        this.status.elapsedMs = this.now();
        return writeFileAtomic(this.path, JSON.stringify(this.status, null, 2) + '\n');
      })
      .catch((err: unknown) => onError?.(err));
    this.chain = this.queued;
    return this.queued;
  }
}

/** Reads and parses the status file. */
export async function readStatus(path: string): Promise<AgentStatus> {
  return JSON.parse(await readFile(path, 'utf8')) as AgentStatus;
}

/** A short human summary above the JSON, for `internet status`. */
export function formatStatus(s: AgentStatus): string {
  const head =
    s.phase === 'online'
      ? `online via ${s.nic} (${s.mac}) mode=${s.mode} address=${s.addresses.join(',')} ` +
        `gateway=${s.gateways.join(',')} in ${s.totalMs} ms`
      : `${s.phase}${s.error ? `: ${s.error.code} ${s.error.message}` : ''} (${s.elapsedMs} ms, attempt ${s.attempt})`;
  const probes = s.probes.map(
    (p) =>
      `  ${p.nic} ${p.mac} ${p.state}` +
      `${p.v4 ? ` v4=${p.v4.lease.address} gw=${p.v4.lease.router} at=${p.v4.atMs}ms` : ''}` +
      `${p.v6 ? ` v6=${p.v6.ra.address} gw=${p.v6.ra.router} at=${p.v6.atMs}ms` : ''}${p.note ? ` (${p.note})` : ''}`,
  );
  return [head, ...probes].join('\n');
}
