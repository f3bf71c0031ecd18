// The wireguard-go backend. `wireguard-go -f NAME` runs detached from us in the host's
// namespace (its TUN device is born there and its UDP socket is bound there, on the node's
// addresses); once its UAPI socket answers, the TUN link is moved into the target namespace.
// wireguard-go keeps working there: it reads and writes the TUN through its file descriptor,
// and notices the link going up or down across namespaces by polling the descriptor (its
// "hack listener", <= 1 s). Its pid is written to `<stateDir>/<name>.pid` so it can be stopped
// or supervised. The UAPI socket is a file path, global across network namespaces: device names
// must be unique per node (per mount namespace of /var/run).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isMissingPath, wgStartFailed } from '../errors.ts';
import { deleteLinkIfExists, moveLink } from '../link.ts';
import { readLink } from '../rtnl.ts';
import { commandIn, netnsFile, type NetnsRef } from '../netns.ts';
import { withUndo } from '../undo.ts';
import { fullChange, type WgBackend, type WgCreated, type WgCreateOptions, type WgDeviceRef } from './backend.ts';
import { allSettledOrThrow } from '../settled.ts';
import { isEmptyChange, type WgChange } from './types.ts';
import { DEFAULT_SOCKET_DIR, formatSet, socketPath, uapiGet, uapiSet } from './uapi.ts';

/** Options of the wireguard-go backend. */
export interface UserspaceOptions {
  /** wireguard-go's socket directory as this process sees it (default /var/run/wireguard). */
  socketDir?: string;
  /** Where pid files go (default /run/zos-network/wireguard). */
  stateDir?: string;
  /** Mount namespace file wireguard-go runs in (a test node's private /run); default ours. */
  mountNs?: string;
  /** The wireguard-go program (default: `wireguard-go` on PATH). */
  program?: string;
  /** Milliseconds to wait for the UAPI socket after start (default 10 s). */
  startTimeoutMs?: number;
  /** Called with each `set=1` body just before it is sent (tests count writes with it). */
  onWrite?: (device: string, body: string) => void;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** True when `pid` runs wireguard-go for `name` (a pid file may outlive its process and the pid be reused). */
async function isOurs(pid: number, name: string): Promise<boolean> {
  const argv = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  const words = argv.split('\0');
  return words.some((w) => w.endsWith('wireguard-go')) && words.includes(name);
}

/** How often a starting wireguard-go's socket is tried (a missing socket fails at once; it answers after ~60 ms). */
const START_POLL_MS = 5;

/** The backend over wireguard-go's UAPI socket. */
export function userspaceBackend(o: UserspaceOptions = {}): WgBackend {
  const dir = o.socketDir ?? DEFAULT_SOCKET_DIR;
  const stateDir = o.stateDir ?? '/run/zos-network/wireguard';
  const pidFile = (name: string) => join(stateDir, `${name}.pid`);
  const timeoutMs = o.startTimeoutMs ?? 10_000;

  /** Starts wireguard-go for `name` in `host`, detached; resolves with its pid once its socket answers. */
  async function start(name: string, host: NetnsRef, onSpawned?: () => void): Promise<number> {
    const prog = o.program ?? 'wireguard-go';
    const [file, argv] = o.mountNs
      ? ['nsenter', [`--mount=${o.mountNs}`, `--net=${netnsFile(host)}`, '--', prog, '-f', name]]
      : commandIn(host, prog, ['-f', name]);
    // Detached (own session, no pipes: a write to a pipe we closed would kill it with SIGPIPE).
    const child = spawn(file, argv, { detached: true, stdio: 'ignore', env: { ...process.env, LOG_LEVEL: 'error' } });
    let ended: string | undefined;
    child.on('error', (e) => {
      ended = `could not run ${file}: ${e.message}`;
    });
    child.on('exit', (code, sig) => {
      ended ??= `exited ${code ?? sig} before its socket answered`;
    });
    child.unref();
    onSpawned?.();
    const pid = child.pid;
    const t0 = performance.now();
    for (;;) {
      if (ended !== undefined) throw wgStartFailed(name, ended, { command: [file, ...argv].join(' ') });
      if (
        pid !== undefined &&
        (await uapiGet(dir, name).then(
          () => true,
          () => false,
        ))
      )
        return pid;
      if (performance.now() - t0 > timeoutMs) {
        if (pid !== undefined) process.kill(pid, 'SIGKILL');
        throw wgStartFailed(name, `its socket ${socketPath(dir, name)} did not answer within ${timeoutMs} ms`, {
          command: [file, ...argv].join(' '),
        });
      }
      await sleep(START_POLL_MS);
    }
  }

  /**
   * Stops the wireguard-go of `name` (`known`, else the pid in its file): SIGTERM, then SIGKILL
   * after 5 s. True when there was a pid file or a process.
   */
  async function stop(name: string, known?: number): Promise<boolean> {
    const text =
      known !== undefined
        ? ''
        : await readFile(pidFile(name), 'utf8').catch((err) => {
            if (isMissingPath(err)) return '';
            throw err;
          });
    const pid = known ?? Number(text.trim());
    const ours = Number.isInteger(pid) && pid > 0 && (await isOurs(pid, name));
    if (ours) {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 250 && alive(pid) && (await isOurs(pid, name)); i++) await sleep(20);
      if (alive(pid) && (await isOurs(pid, name))) process.kill(pid, 'SIGKILL');
    }
    await rm(pidFile(name), { force: true });
    return ours || text !== '';
  }

  const backend: WgBackend = {
    kind: 'userspace',

    async create(c: WgCreateOptions): Promise<WgCreated> {
      if (await readLink(c.host, c.name))
        throw wgStartFailed(c.name, `a link "${c.name}" already exists in the host namespace`);
      // Its socket would answer for the new one while that one fails to bind it: refuse first.
      if (
        await uapiGet(dir, c.name).then(
          () => true,
          () => false,
        )
      ) {
        throw wgStartFailed(c.name, `a wireguard-go already serves ${socketPath(dir, c.name)} (the device exists)`);
      }
      await mkdir(stateDir, { recursive: true });
      // Its own steps are undone here on failure; the caller's stack gets one undo: delete it all.
      const change = c.config ? fullChange(c.config) : undefined;
      const pid = await withUndo(undefined, async (undo) => {
        const started = await start(c.name, c.host, c.onStarted);
        undo.push(`stop wireguard-go ${c.name}`, () => stop(c.name, started));
        await writeFile(pidFile(c.name), `${started}\n`);
        // Moved keeping its name (a link of that name in the target: the kernel refuses the
        // move, nothing moves, the undo stops wireguard-go). The UAPI socket is a file named
        // after the device: the config is written while the link moves.
        await allSettledOrThrow([
          (async () => {
            await c.targetReady;
            await moveLink(c.host, c.name, c.target, undo);
          })(),
          change ? backend.apply({ name: c.name, netns: c.host }, change) : Promise.resolve(false),
        ]);
        return started;
      });
      c.undo?.push(`delete wireguard ${c.name}`, () => backend.delete({ name: c.name, netns: c.target }));
      return { name: c.name, netns: c.target, pid, ...(change ? { change } : {}) };
    },

    get: (dev: WgDeviceRef) => uapiGet(dir, dev.name),

    async apply(dev: WgDeviceRef, change: WgChange): Promise<boolean> {
      if (isEmptyChange(change)) return false;
      o.onWrite?.(dev.name, formatSet(change));
      await uapiSet(dir, dev.name, change);
      return true;
    },

    async delete(dev: WgDeviceRef): Promise<void> {
      const stopped = await stop(dev.name);
      // wireguard-go removes its TUN and socket as it exits; a kill -9 leaves the socket file.
      // Its TUN lives only while a process holds it: with no pid file, no process and no socket
      // (a wireguard-go started without its pid file written yet serves one) there is no link.
      const sock = socketPath(dir, dev.name);
      if (stopped || existsSync(sock)) await deleteLinkIfExists(dev.netns, dev.name);
      await rm(sock, { force: true });
    },
  };
  return backend;
}
