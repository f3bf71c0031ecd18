// The chassis name (Open_vSwitch external_ids:system-id): the one the row holds, else the one
// kept in `fleet-system-id` beside the nic state file, else a new random UUID written there
// first. So a rejoin, or a fresh Open vSwitch database on the same node, is the same chassis
// (ovn-controller would otherwise register a second one and orphan the first's bindings).
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isMissingPath } from '../../lib/errors.ts';
import { writeFileAtomic } from '../../lib/atomic-file.ts';

const ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** Where the chassis name is kept: beside the state file (OVS_PLUGIN_STATE). */
export const systemIdPath = (statePath: string): string => join(dirname(statePath), 'fleet-system-id');

/** The chassis name to join as: `current` (the row's), else the kept one, else a new one (kept before use). */
export async function systemIdFor(statePath: string, current: string | undefined): Promise<string> {
  const path = systemIdPath(statePath);
  const kept = await readFile(path, 'utf8').then(
    (t) => t.trim(),
    (err: unknown) => {
      if (isMissingPath(err)) return undefined;
      throw err;
    },
  );
  const id = current ?? (kept && ID.test(kept) ? kept : randomUUID());
  if (id !== kept) await writeFileAtomic(path, `${id}\n`);
  return id;
}
