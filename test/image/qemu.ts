// Boots the image in QEMU (TCG) for a test: its own temp dir and network namespace (so QEMU's
// sockets never touch the machine's network), the serial console read line by line with the
// time since QEMU's start, the HMP monitor on a unix socket, QEMU killed in t.after.
import { connect } from 'node:net';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { run } from '../../lib/exec.ts';
import { startChild } from '../../lib/child.ts';
import { netnsNamed } from '../../lib/netns.ts';
import { makeNetns } from '../helpers/netns.ts';

/** The image the boot tests use (`make image-test`). */
export const IMAGE = resolve(process.env.ZOS_IMAGE ?? 'build/image-test');
/** The same image built without ZINIT (`make image-test-nozinit`): the fallback init runs the units. */
export const IMAGE_NOZINIT = resolve(process.env.ZOS_IMAGE_NOZINIT ?? 'build/image-test-nozinit');
/** The zinit binary the test image was built with (the real one, ../shared/zinit/zinit). */
export const ZINIT = resolve(process.env.ZINIT ?? '../shared/zinit/zinit');
const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

/** One console line and when it came (ms since QEMU was spawned). */
export interface Line {
  ms: number;
  text: string;
}

export interface BootOptions {
  /**
   * direct: -kernel/-initrd/-append; pvh: the same with the unpacked vmlinux (PVH entry); pxe: QEMU's iPXE from the
   * user network's TFTP; usb: OVMF + usb.img.
   */
  path?: 'direct' | 'pvh' | 'pxe' | 'usb';
  /** The image dir (default IMAGE). */
  image?: string;
  /** Appended to the direct boot's command line (after `quiet console=ttyS0,115200 zos.test=poweroff`,
   * the image's own default but `panic=10`). */
  append?: string;
  /** Replaces that start of the direct boot's command line (the benchmark's A/B without `quiet`). */
  baseCmdline?: string;
  /** -netdev specs, one virtio NIC each, in PCI order (eth0, eth1, ...): `id` is n0, n1, ... */
  nics: string[];
  /** QEMU's -cpu (default qemu64,+rdrand: RDRAND as on real x86 servers, so the kernel's RNG is
   * seeded at boot; without it the first Node process waits ~1 s under TCG for jitter entropy). */
  cpu?: string;
  /** Start paused (-S); `resume()` continues (after e.g. `set_link n1 off`). */
  paused?: boolean;
  /** Run QEMU in this namespace (tap NICs); default: a fresh one with only lo. */
  netns?: string;
  timeoutMs?: number;
  /** The NICs' MAC addresses are this prefix and 0x10 + the NIC's index (default 52:54:00:12:34);
   * two boots on one network need different ones (a bridge drops frames from its own MAC). */
  macPrefix?: string;
  /** Guest memory in MiB (default 1024). */
  memMb?: number;
  /** Called with each console line as it comes (the demo streams them). */
  onLine?: (l: Line) => void;
}

export interface Boot {
  dir: string;
  lines: Line[];
  /** Resolves with the first line matching `re` (rejects after `ms` or when QEMU exits first). */
  waitFor(re: RegExp, ms?: number): Promise<Line>;
  /** Resolves with QEMU's exit code once it ends (the node powered off). */
  exited: Promise<number | null>;
  hmp(command: string): Promise<void>;
  resume(): Promise<void>;
  /** The JSON of the last `TAG {...}` console line, or undefined. */
  json<T = Record<string, unknown>>(tag: string): T | undefined;
  /** ms of the first line matching `re`. */
  at(re: RegExp): number | undefined;
}

/** Spawns QEMU for one boot; QEMU is killed and its dir removed after the test. */
export async function boot(t: Pick<TestContext, 'after'>, o: BootOptions): Promise<Boot> {
  const dir = await mkdtemp(join(tmpdir(), 'zos-boot-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const ns = o.netns ?? (await makeNetns(t, 'tqemu'));
  // `-netdev socket,mcast=` NICs (carrier, nobody else) talk over this namespace's lo.
  if (!o.netns) {
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'multicast', 'on']);
    await run('ip', ['-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'lo']);
  }
  const mon = join(dir, 'mon.sock');
  const args = [
    '-nodefaults',
    '-machine',
    'q35',
    '-accel',
    'tcg',
    '-cpu',
    o.cpu ?? 'qemu64,+rdrand',
    '-m',
    String(o.memMb ?? 1024),
    '-smp',
    '1',
    '-display',
    'none',
    '-serial',
    'stdio',
    '-monitor',
    `unix:${mon},server=on,wait=off`,
    '-no-reboot',
  ];
  if (o.paused) args.push('-S');
  o.nics.forEach((spec, i) => {
    const mac = `${o.macPrefix ?? '52:54:00:12:34'}:${(0x10 + i).toString(16)}`;
    const boot = o.path === 'pxe' && i === 0 ? ',bootindex=1' : ',romfile=';
    args.push('-netdev', `${spec},id=n${i}`, '-device', `virtio-net-pci,netdev=n${i},mac=${mac}${boot}`);
  });
  const path = o.path ?? 'direct';
  const image = o.image ?? IMAGE;
  if (path === 'direct' || path === 'pvh') {
    args.push(
      '-kernel',
      join(image, path === 'pvh' ? 'pvh/vmlinux' : 'pxe/vmlinuz'),
      '-initrd',
      join(image, 'pxe/initrd.img'),
      '-append',
      `${o.baseCmdline ?? 'quiet console=ttyS0,115200 zos.test=poweroff'}${o.append ? ` ${o.append}` : ''}`,
    );
  } else if (path === 'usb') {
    await copyFile(OVMF_VARS, join(dir, 'vars.fd'));
    args.push(
      '-drive',
      `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`,
      '-drive',
      `if=pflash,format=raw,file=${join(dir, 'vars.fd')}`,
      '-device',
      'qemu-xhci',
      '-drive',
      `if=none,id=stick,format=raw,snapshot=on,file=${join(image, 'usb.img')}`,
      '-device',
      'usb-storage,drive=stick,bootindex=0',
    );
  }
  const lines: Line[] = [];
  const waiters = new Set<() => void>();
  let ended: { code: number | null; signal: string | null; stderr: string } | undefined;
  const t0 = Date.now();
  const child = startChild(netnsNamed(ns), 'qemu-system-x86_64', args, {
    onLine: (text) => {
      const l = { ms: Date.now() - t0, text: text.replace(/\r/g, '') };
      lines.push(l);
      o.onLine?.(l);
      for (const w of waiters) w();
    },
  });
  t.after(() => {
    child.kill();
    return child.exited;
  });
  const exited = child.exited.then(async (e) => {
    ended = { code: e.code, signal: e.signal, stderr: e.stderr };
    // BOOT_CONSOLE_DIR=dir: every boot's console kept as dir/<temp dir name>.log, for a failure's post-mortem.
    if (process.env.BOOT_CONSOLE_DIR) {
      await writeFile(
        join(process.env.BOOT_CONSOLE_DIR, `${basename(dir)}.log`),
        lines.map((l) => `${(l.ms / 1000).toFixed(1).padStart(6)} ${l.text}`).join('\n') + '\n',
      ).catch(() => {});
    }
    for (const w of waiters) w();
    return e.code;
  });
  const timeoutMs = o.timeoutMs ?? 400_000;
  const waitFor = (re: RegExp, ms = timeoutMs) =>
    new Promise<Line>((res, rej) => {
      const check = () => {
        const l = lines.find((x) => re.test(x.text));
        if (l) {
          done();
          res(l);
        } else if (ended) {
          done();
          rej(
            new Error(
              `QEMU ended (${ended.code ?? ended.signal}) before ${re}; stderr: ${ended.stderr.trim()}\n${tail(lines)}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        rej(new Error(`no ${re} within ${ms} ms\n${tail(lines)}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  const hmp = (command: string) =>
    new Promise<void>((res, rej) => {
      const tryConnect = (left: number) => {
        const s = connect(mon);
        s.on('error', (e) => {
          s.destroy();
          if (left > 0) setTimeout(() => tryConnect(left - 1), 100);
          else rej(e);
        });
        s.on('connect', () => {
          s.write(`${command}\n`);
          setTimeout(() => {
            s.end();
            res();
          }, 200);
        });
        s.resume();
      };
      tryConnect(50);
    });
  const json = <T>(tag: string): T | undefined => {
    const re = new RegExp(`${tag} (\\{.*\\})\\s*$`);
    for (const l of [...lines].reverse()) {
      const m = re.exec(l.text);
      if (m) return JSON.parse(m[1]!) as T;
    }
    return undefined;
  };
  return {
    dir,
    lines,
    waitFor,
    exited,
    hmp,
    resume: () => hmp('cont'),
    json,
    at: (re) => lines.find((l) => re.test(l.text))?.ms,
  };
}

/** The last console lines, for failure messages. */
export function tail(lines: Line[], n = 40): string {
  return lines
    .slice(-n)
    .map((l) => `${(l.ms / 1000).toFixed(1).padStart(6)} ${l.text}`)
    .join('\n');
}

/** Console milestones of a boot (ms since QEMU start), as the benchmark and tests report them. */
export function milestones(b: Boot): Record<string, number | undefined> {
  // The kernel's clock starts at 0 once it is decompressed and running: the /init line's time
  // minus the uptime it prints (`quiet` hides the kernel's own lines).
  const init = b.lines.find((l) => /zos: \/init at /.test(l.text));
  const up = init ? Number(/ at ([\d.]+)s/.exec(init.text)?.[1]) : NaN;
  return {
    kernel: init && Number.isFinite(up) ? Math.max(0, init.ms - Math.round(up * 1000)) : undefined,
    init: b.at(/zos: \/init at/),
    agentStart: b.at(/info start pid=/),
    online: b.at(/info online /),
    pluginServing: b.at(/ovs-plugin-serving/),
    status: b.at(/STATUS \{/),
  };
}

/** A NIC with carrier and nobody behind it (a multicast socket only this boot uses). */
export function silentNic(): string {
  const r = () => 1 + Math.floor(Math.random() * 250);
  return `socket,mcast=230.${r()}.${r()}.${r()}:${20000 + Math.floor(Math.random() * 20000)},localaddr=127.0.0.1`;
}

/** Runs `fn`s at most `n` at a time (boots under TCG share 2 cores). */
export function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async (fn) => {
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}
