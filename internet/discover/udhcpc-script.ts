// The script busybox udhcpc runs on each DHCP event during a probe. It configures nothing (the
// NIC is in a throw-away namespace); on `bound` it prints the lease as `ZLEASE key=value` lines
// between markers on stdout, which probe-dhcp4.ts parses and validates. Newlines inside values
// are squashed so a hostile option cannot forge a line.
import { writeFileAtomic } from '../../lib/atomic-file.ts';
import { join } from 'node:path';

/** Environment variables busybox udhcpc sets for `bound`, in the order we print them. */
export const LEASE_KEYS = ['ip', 'mask', 'subnet', 'router', 'dns', 'mtu', 'lease', 'serverid', 'broadcast', 'staticroutes', 'domain'] as const;

/** The script text (POSIX sh; busybox sh in the image). */
export function udhcpcScript(): string {
  const lines = LEASE_KEYS.map((k) => `  printf 'ZLEASE ${k}=%s\\n' "$(printf '%s' "$${k}" | tr '\\n\\r' '  ')"`);
  return [
    '#!/bin/sh',
    '# Written by the internet agent: reports the probe lease on stdout, configures nothing.',
    'case "$1" in',
    'bound|renew)',
    '  echo ZLEASE_BEGIN',
    ...lines,
    '  echo ZLEASE_END',
    '  ;;',
    'esac',
    'exit 0',
    '',
  ].join('\n');
}

/** Writes the script into `runDir` (atomically, mode 0755) and returns its path. */
export async function writeUdhcpcScript(runDir: string): Promise<string> {
  const path = join(runDir, 'udhcpc-probe.sh');
  await writeFileAtomic(path, udhcpcScript(), 0o755);
  return path;
}
