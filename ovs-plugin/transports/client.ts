// Typed client of the daemon (`ovs-plugin serve`): one unix-socket connection, JSON-RPC 2.0 one
// object per line, many requests in flight. Command failures are rethrown as AppError with the
// daemon's stable code (EINVALID, ECONFLICT, ...) and field; see docs/errors.md. It connects
// again after the daemon closed an idle connection.
import { createConnection, type Socket } from 'node:net';
import { badReply, clientClosed, connectionLost, fromWire, type AppError } from '../../lib/errors.ts';
import type { AttachResult } from '../nics/types.ts';
import { LineReader } from './jsonrpc.ts';
import type { Args, CommandName, Results } from '../commands/wire.ts';

type Pending = { resolve(v: unknown): void; reject(e: unknown): void };

/** The wire argument types, defined once beside the commands (re-exported for callers of this client). */
export type { BondAddArgs, BridgeAddArgs, PortAddArgs, VlanEnsureArgs, VxlanEnsureArgs } from '../commands/wire.ts';

/** Opens one unix-socket connection; ECONN if no daemon answers at `path`. */
function openSocket(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path, () => {
      s.off('error', onError);
      resolve(s);
    });
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

  private constructor(
    private readonly path: string,
    sock: Socket,
  ) {
    this.attach(sock);
  }

  /** Connects to the daemon's socket. */
  static async connect(path: string): Promise<OvsPluginClient> {
    return new OvsPluginClient(path, await openSocket(path));
  }

  /** Sends one request; resolves with its result or rejects with the daemon's AppError. */
  async call<R = unknown>(method: string, params: object = {}): Promise<R> {
    if (this.closedErr) throw this.closedErr;
    const sock =
      this.sock ??
      (await (this.opening ??= openSocket(this.path)
        .then((s) => this.attach(s))
        .finally(() => {
          this.opening = undefined;
        })));
    if (this.closedErr) throw this.closedErr;
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      sock.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  }

  /** A method for command `name`: its wire arguments and result (commands/wire.ts). */
  private method<N extends CommandName>(name: N): (a: Args<N>) => Promise<Results[N]> {
    return (a) => this.call<Results[N]>(name, a);
  }

  /** ovs.bridge-add -> null. */
  bridgeAdd = this.method('ovs.bridge-add');
  /** ovs.bridge-del -> "". */
  bridgeDel = this.method('ovs.bridge-del');
  /** ovs.port-add -> null. */
  portAdd = this.method('ovs.port-add');
  /** ovs.port-del -> null. */
  portDel = this.method('ovs.port-del');
  /** ovs.bond-add -> null. */
  bondAdd = this.method('ovs.bond-add');
  /** ovs.set -> null. */
  set = this.method('ovs.set');
  /** ovs.vlan-ensure -> the VLAN bridge's name. */
  vlanEnsure = this.method('ovs.vlan-ensure');
  /** ovs.vlan-del -> null. */
  vlanDel = this.method('ovs.vlan-del');
  /** ovs.vxlan-ensure -> the VXLAN bridge's name. */
  vxlanEnsure = this.method('ovs.vxlan-ensure');
  /** ovs.vxlan-del -> null. */
  vxlanDel = this.method('ovs.vxlan-del');
  /** ovs.vtep-ensure -> "vtep<vnid>". */
  vtepEnsure = this.method('ovs.vtep-ensure');
  /** ovs.vtep-del -> null. */
  vtepDel = this.method('ovs.vtep-del');
  /** nic.attach -> the attached nic (docs/nics.md); `nicAttach<GuestResult>` for a kvm target. */
  nicAttach = <R extends Results['nic.attach'] = AttachResult>(a: Args<'nic.attach'>) => this.call<R>('nic.attach', a);
  /** nic.detach -> null. */
  nicDetach = this.method('nic.detach');
  /** nic.list -> one element per attachment. */
  nicList = (a: Args<'nic.list'> = {}) => this.method('nic.list')(a);
  /** nic.check -> the differences (repaired ones with `repair`). */
  nicCheck = this.method('nic.check');
  /** nic.gc -> what it finished, undid, removed, returned, and the orphan ports it removed. */
  nicGc = () => this.method('nic.gc')({});
  /** nic.state-restore -> whether the previous generation of a damaged state file was put back. */
  nicStateRestore = () => this.method('nic.state-restore')({});
  /** net.apply -> the network resource (docs/overlay.md); `changed: false` for the same document again. */
  netApply = this.method('net.apply');
  /** net.delete -> null (gone is success). */
  netDelete = this.method('net.delete');
  /** net.namespace -> "n-<netid>". */
  netNamespace = this.method('net.namespace');
  /** net.list -> every network resource. */
  netList = () => this.method('net.list')({});
  /** net.check -> the differences (repaired ones with `repair`). */
  netCheck = this.method('net.check');
  /** fleet.join -> the chassis (docs/fleet.md); `changed: false` when it was joined so already. */
  fleetJoin = this.method('fleet.join');
  /** fleet.leave -> null (not joined is success). */
  fleetLeave = () => this.method('fleet.leave')({});
  /** fleet.status -> joined or not, the chassis, whether the SB sees it. */
  fleetStatus = () => this.method('fleet.status')({});
  /** fleet.network-ensure -> the network; `changed: false` when it existed so already. */
  fleetNetworkEnsure = this.method('fleet.network-ensure');
  /** fleet.network-del -> null (gone is success). */
  fleetNetworkDel = this.method('fleet.network-del');

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
    const drop = (err: AppError) => {
      why ??= err;
      sock.destroy();
    };
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      reader.push(d);
      for (let line = reader.next(); line !== undefined; line = reader.next()) {
        if (line === null) return drop(badReply('reply line too long'));
        const err = this.onLine(line);
        if (err) return drop(err);
      }
    });
    sock.on('error', (e) => {
      why ??= connectionLost(`ovs-plugin socket: ${e.message}`, {}, e);
    });
    sock.on('close', () => {
      if (this.sock === sock) this.sock = undefined;
      this.failPending(why ?? connectionLost('ovs-plugin socket closed'));
    });
    return sock;
  }

  // Settles the request a reply line answers; returns an error if the line cannot be read.
  private onLine(line: string): AppError | undefined {
    let msg: {
      id?: unknown;
      result?: unknown;
      error?: { code: number; message: string; data?: { code?: string; message?: string; field?: string } };
    };
    try {
      msg = JSON.parse(line);
    } catch {
      return badReply('reply is not JSON');
    }
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
