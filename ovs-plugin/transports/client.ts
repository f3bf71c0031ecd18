// Typed client of the daemon (`ovs-plugin serve`): one unix-socket connection, JSON-RPC 2.0 one
// object per line, many requests in flight. Command failures are rethrown as AppError with the
// daemon's stable code (EINVALID, ECONFLICT, ...) and field; see docs/errors.md. It connects
// again after the daemon closed an idle connection.
import { createConnection, type Socket } from 'node:net';
import { badReply, clientClosed, connectionLost, fromWire, type AppError } from '../../lib/errors.ts';
import type { CheckResult, ListedNic } from '../nics/check.ts';
import type { GcReport } from '../nics/detach.ts';
import type { RestoreResult } from '../nics/state-restore.ts';
import type { AttachResult, GuestResult, NicSpec, TargetSpec } from '../nics/types.ts';
import type { NetworkDocument } from '../overlay/document.ts';
import type { NrResult } from '../overlay/nr-apply.ts';
import type { ListedNr, NrCheckResult } from '../overlay/nr-check.ts';
import { LineReader } from './jsonrpc.ts';
import type * as W from '../commands/wire.ts';

type Pending = { resolve(v: unknown): void; reject(e: unknown): void };

/** The wire argument types, defined once beside the commands (re-exported for callers of this client). */
export type { BondAddArgs, BridgeAddArgs, PortAddArgs, VlanEnsureArgs, VxlanEnsureArgs } from '../commands/wire.ts';

/** Opens one unix-socket connection; ECONN if no daemon answers at `path`. */
function openSocket(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path, () => { s.off('error', onError); resolve(s); });
    const onError = (e: Error) => reject(connectionLost(`connect ${path}: ${e.message}`, { path }, e));
    s.once('error', onError);
  });
}

/**
 * A connection to the daemon with one typed method per command. When the daemon closes it (an
 * idle timeout, EIDLE) or it is lost, requests in flight fail with ECONN and the next call
 * connects again; after `close()` every call fails with ECLOSED.
 */
export class OvsPluginClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedErr: AppError | undefined;
  private sock: Socket | undefined;
  private opening: Promise<Socket> | undefined;

  private constructor(private readonly path: string, sock: Socket) {
    this.attach(sock);
  }

  /** Connects to the daemon's socket. */
  static async connect(path: string): Promise<OvsPluginClient> {
    return new OvsPluginClient(path, await openSocket(path));
  }

  /** Sends one request; resolves with its result or rejects with the daemon's AppError. */
  async call<R = unknown>(method: string, params: object = {}): Promise<R> {
    if (this.closedErr) throw this.closedErr;
    const sock = this.sock ?? (await (this.opening ??= openSocket(this.path).then((s) => this.attach(s)).finally(() => { this.opening = undefined; })));
    if (this.closedErr) throw this.closedErr;
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      sock.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  }

  /** ovs.bridge-add -> null. */
  bridgeAdd = (a: W.BridgeAddArgs) => this.call<null>('ovs.bridge-add', a);
  /** ovs.bridge-del -> "". */
  bridgeDel = (a: W.BridgeDelArgs) => this.call<string>('ovs.bridge-del', a);
  /** ovs.port-add -> null. */
  portAdd = (a: W.PortAddArgs) => this.call<null>('ovs.port-add', a);
  /** ovs.port-del -> null. */
  portDel = (a: W.PortDelArgs) => this.call<null>('ovs.port-del', a);
  /** ovs.bond-add -> null. */
  bondAdd = (a: W.BondAddArgs) => this.call<null>('ovs.bond-add', a);
  /** ovs.set -> null. */
  set = (a: W.SetArgs) => this.call<null>('ovs.set', a);
  /** ovs.vlan-ensure -> the VLAN bridge's name. */
  vlanEnsure = (a: W.VlanEnsureArgs) => this.call<string>('ovs.vlan-ensure', a);
  /** ovs.vlan-del -> null. */
  vlanDel = (a: W.VlanDelArgs) => this.call<null>('ovs.vlan-del', a);
  /** ovs.vxlan-ensure -> the VXLAN bridge's name. */
  vxlanEnsure = (a: W.VxlanEnsureArgs) => this.call<string>('ovs.vxlan-ensure', a);
  /** ovs.vxlan-del -> null. */
  vxlanDel = (a: W.VxlanDelArgs) => this.call<null>('ovs.vxlan-del', a);
  /** ovs.vtep-ensure -> "vtep<vnid>". */
  vtepEnsure = (a: W.VtepEnsureArgs) => this.call<string>('ovs.vtep-ensure', a);
  /** ovs.vtep-del -> null. */
  vtepDel = (a: W.VtepDelArgs) => this.call<null>('ovs.vtep-del', a);
  /** nic.attach -> the attached nic (docs/nics.md); `nicAttach<GuestResult>` for a kvm target. */
  nicAttach = <R extends AttachResult | GuestResult = AttachResult>(a: { target: TargetSpec; nic: Partial<NicSpec> & { type: string } }) => this.call<R>('nic.attach', a);
  /** nic.detach -> null. */
  nicDetach = (a: { target: TargetSpec; name: string }) => this.call<null>('nic.detach', a);
  /** nic.list -> one element per attachment. */
  nicList = (a: { target?: TargetSpec } = {}) => this.call<ListedNic[]>('nic.list', a);
  /** nic.check -> the differences (repaired ones with `repair`). */
  nicCheck = (a: { target: TargetSpec; name: string; repair?: boolean }) => this.call<CheckResult>('nic.check', a);
  /** nic.gc -> what it finished, undid, removed, returned, and the orphan ports it removed. */
  nicGc = () => this.call<GcReport>('nic.gc', {});
  /** nic.state-restore -> whether the previous generation of a damaged state file was put back. */
  nicStateRestore = () => this.call<RestoreResult>('nic.state-restore', {});
  /** net.apply -> the network resource (docs/overlay.md); `changed: false` for the same document again. */
  netApply = (a: { netid: string; network: NetworkDocument }) => this.call<NrResult>('net.apply', a);
  /** net.delete -> null (gone is success). */
  netDelete = (a: { netid: string }) => this.call<null>('net.delete', a);
  /** net.namespace -> "n-<netid>". */
  netNamespace = (a: { netid: string }) => this.call<string>('net.namespace', a);
  /** net.list -> every network resource. */
  netList = () => this.call<ListedNr[]>('net.list', {});
  /** net.check -> the differences (repaired ones with `repair`). */
  netCheck = (a: { netid: string; repair?: boolean }) => this.call<NrCheckResult>('net.check', a);

  /** Closes the connection for good; requests still pending (and later ones) fail with ECLOSED. */
  close(): void {
    this.closedErr ??= clientClosed();
    this.failPending(this.closedErr);
    this.sock?.end();
  }

  // Reads reply lines from `sock`; when it goes, pending requests fail and the next call reconnects.
  private attach(sock: Socket): Socket {
    this.sock = sock;
    const reader = new LineReader(64 * 1024 * 1024);
    let why: AppError | undefined;
    const drop = (err: AppError) => { why ??= err; sock.destroy(); };
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      reader.push(d);
      for (let line = reader.next(); line !== undefined; line = reader.next()) {
        if (line === null) return drop(badReply('reply line too long'));
        const err = this.onLine(line);
        if (err) return drop(err);
      }
    });
    sock.on('error', (e) => { why ??= connectionLost(`ovs-plugin socket: ${e.message}`, {}, e); });
    sock.on('close', () => {
      if (this.sock === sock) this.sock = undefined;
      this.failPending(why ?? connectionLost('ovs-plugin socket closed'));
    });
    return sock;
  }

  // Settles the request a reply line answers; returns an error if the line cannot be read.
  private onLine(line: string): AppError | undefined {
    let msg: { id?: unknown; result?: unknown; error?: { code: number; message: string; data?: { code?: string; message?: string; field?: string } } };
    try { msg = JSON.parse(line); } catch { return badReply('reply is not JSON'); }
    const p = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
    if (!p) return undefined;
    this.pending.delete(msg.id as number);
    if (!msg.error) return void p.resolve(msg.result);
    const d = msg.error.data ?? {};
    p.reject(fromWire(d, `${msg.error.message} (JSON-RPC ${msg.error.code})`));
    return undefined;
  }

  private failPending(err: AppError): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
