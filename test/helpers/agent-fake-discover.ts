// runAgent with a stand-in discovery that returns the Choices listed in $FAKE_CHOICES (a JSON
// file), one per call, the last one repeated. Lets tests drive the agent's retry path with
// Choice objects directly. Run it inside a test namespace only (nsenter), like dist/internet.js.
import { readFileSync } from 'node:fs';
import { createLogger } from '../../lib/log.ts';
import { runAgent } from '../../internet/agent.ts';
import { parseCli } from '../../internet/cli.ts';
import { processSettings } from '../../internet/settings.ts';
import type { Choice } from '../../internet/types.ts';

const choices = JSON.parse(readFileSync(process.env.FAKE_CHOICES!, 'utf8')) as Choice[];
let calls = 0;
const log = createLogger();
const ac = new AbortController();
process.on('SIGTERM', () => ac.abort(new Error('stopped by SIGTERM')));
const settings = processSettings();
void runAgent(
  parseCli(process.argv.slice(2), settings),
  {
    discover: async (o) => {
      const choice = choices[Math.min(calls++, choices.length - 1)]!;
      const call = calls;
      o.log.info('fake-discover', { call, nic: choice.nic, avoid: o.avoid?.join(',') || undefined });
      let closed: Promise<void> | undefined;
      // As the real handle: idempotent; the log shows when the agent closed it.
      return {
        choice,
        probes: [],
        close: () => (closed ??= Promise.resolve().then(() => o.log.info('fake-close', { call }))),
      };
    },
    recoverProbeNamespaces: async () => [],
  },
  log,
  ac.signal,
  settings,
).then((code) => {
  process.stdout.write('', () => process.exit(code));
});
