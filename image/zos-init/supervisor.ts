// The fallback init's service manager: zinit v0.2.14's semantics for what our units use.
// A unit starts when every `after:` is Running (service) or Success (oneshot); a unit naming
// an unknown one stays Blocked. Services are restarted 2 s after they exit, while wanted;
// a `test:` is run every 2 s until it exits 0 (Spawned until then). States are zinit's text.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { sleep } from '../../lib/backoff.ts';
import { isProcessGone } from '../../lib/errors.ts';
import type { Unit } from './unit.ts';

const RESTART_MS = 2000;
const TEST_EVERY_MS = 2000;

/** One supervised unit and what runs for it now. */
export interface Service {
  unit: Unit;
  state: string;
  pid: number;
  target: 'Up' | 'Down';
  child?: ChildProcess;
  timer?: NodeJS.Timeout;
}

/** Runs units, keeps their states, answers what the control socket asks. */
export class Supervisor {
  readonly services = new Map<string, Service>();

  constructor(
    private readonly baseEnv: Record<string, string>,
    private readonly out: (line: string) => void,
  ) {}

  /** Adds a unit, wanted up; it starts as soon as its dependencies allow. */
  add(unit: Unit): void {
    this.services.set(unit.name, { unit, state: 'Blocked', pid: 0, target: 'Up' });
    this.schedule();
  }

  /** State of a dependency as `after` shows it in `status`. */
  private ready(name: string): boolean {
    const d = this.services.get(name);
    return !!d && (d.unit.oneshot ? d.state === 'Success' : d.state === 'Running');
  }

  /** Starts every wanted, idle unit whose dependencies are satisfied. */
  schedule(): void {
    for (const s of this.services.values()) {
      if (s.target !== 'Up' || s.child || s.timer || s.state === 'Failure') continue;
      if (s.unit.oneshot && s.state === 'Success') continue;
      if (s.unit.oneshot && s.state.startsWith('Error')) continue;
      if (!s.unit.after.every((a) => this.ready(a))) {
        s.state = 'Blocked';
        continue;
      }
      this.spawnService(s);
    }
  }

  private spawnService(s: Service): void {
    const u = s.unit;
    const stdio = u.log === 'stdout' ? 'pipe' : 'ignore';
    let child: ChildProcess;
    try {
      child = spawn(u.exec[0]!, u.exec.slice(1), {
        cwd: u.dir,
        env: { ...this.baseEnv, ...u.env },
        stdio: ['ignore', stdio, stdio],
        detached: true,
      });
    } catch (err) {
      s.state = 'Failure';
      this.out(`[-] ${u.name}: cannot spawn: ${(err as Error).message}`);
      return;
    }
    s.child = child;
    s.pid = child.pid ?? 0;
    s.state = u.oneshot || !u.test ? 'Running' : 'Spawned';
    if (u.log === 'stdout') {
      if (child.stdout) createInterface({ input: child.stdout }).on('line', (l) => this.out(l));
      if (child.stderr) createInterface({ input: child.stderr }).on('line', (l) => this.out(l));
    }
    child.on('error', (err) => {
      if (s.child !== child) return;
      s.child = undefined;
      s.pid = 0;
      s.state = 'Failure';
      this.out(`[-] ${u.name}: cannot spawn: ${err.message}`);
      this.schedule();
    });
    child.on('exit', (code, signal) => {
      if (s.child !== child) return;
      const pid = s.pid;
      s.child = undefined;
      s.pid = 0;
      s.state =
        code === 0 && u.oneshot
          ? 'Success'
          : signal
            ? `Error(Signaled(Pid(${pid}), ${signal}, false))`
            : `Error(Exited(Pid(${pid}), ${code ?? 0}))`;
      if (!u.oneshot && s.target === 'Up')
        s.timer = setTimeout(() => {
          s.timer = undefined;
          this.schedule();
        }, RESTART_MS);
      this.schedule();
    });
    if (!u.oneshot && u.test) this.runTest(s, child);
    this.schedule();
  }

  /** Runs the unit's test every 2 s until it exits 0; the service is Running from then. */
  private runTest(s: Service, child: ChildProcess): void {
    const t = s.unit.test!;
    const once = () => {
      if (s.child !== child) return;
      const p = spawn(t[0]!, t.slice(1), { env: { ...this.baseEnv, ...s.unit.env }, stdio: 'ignore' });
      p.on('error', () => setTimeout(once, TEST_EVERY_MS));
      p.on('exit', (code) => {
        if (s.child !== child) return;
        if (code === 0) {
          s.state = 'Running';
          this.schedule();
        } else setTimeout(once, TEST_EVERY_MS);
      });
    };
    setTimeout(once, 100);
  }

  /** `start`: wanted up again; a finished oneshot runs again. */
  start(name: string): void {
    const s = this.get(name);
    s.target = 'Up';
    if (!s.child && !s.timer) {
      s.state = 'Blocked';
      this.schedule();
    }
  }

  /** `stop`: not wanted; SIGTERM to its process group (answers before it is gone, as zinit). */
  stop(name: string): void {
    const s = this.get(name);
    s.target = 'Down';
    if (s.timer) {
      clearTimeout(s.timer);
      s.timer = undefined;
    }
    if (s.child?.pid) {
      try {
        process.kill(-s.child.pid, 'SIGTERM');
      } catch (err) {
        if (!isProcessGone(err)) throw err;
        s.child.kill('SIGTERM');
      } // no such group: the child alone
    }
  }

  /** Stops every unit (SIGTERM to each process group); resolves once all have exited or after `ms`. */
  async stopAll(ms = 5000): Promise<void> {
    const running = [...this.services.values()].filter((s) => s.child);
    for (const s of this.services.values()) this.stop(s.unit.name);
    await Promise.race([
      Promise.all(
        running.map(
          (s) =>
            new Promise((r) => {
              if (!s.child) r(null);
              else s.child.once('exit', r);
            }),
        ),
      ),
      sleep(ms),
    ]);
  }

  /** `forget`: only a stopped unit with nothing running. */
  forget(name: string): void {
    const s = this.get(name);
    if (s.target === 'Up' || s.pid !== 0) throw new Refused(`service ${JSON.stringify(name)} is up`);
    this.services.delete(name);
  }

  /** `status`, as zinit's body. */
  status(name: string): Record<string, unknown> {
    const s = this.get(name);
    const after = Object.fromEntries(s.unit.after.map((a) => [a, this.services.get(a)?.state ?? 'Unknown']));
    return { after, name, pid: s.pid, state: s.state, target: s.target };
  }

  /** `list`: every unit and its state. */
  list(): Record<string, string> {
    return Object.fromEntries([...this.services].map(([n, s]) => [n, s.state]));
  }

  private get(name: string): Service {
    const s = this.services.get(name);
    if (!s) throw new Refused(`service name ${JSON.stringify(name)} unknown`);
    return s;
  }
}

/** A request zinit refuses; the message is zinit's own error body. */
export class Refused extends Error {}
