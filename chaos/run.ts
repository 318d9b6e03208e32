import { chaosConfigFromEnv, type ChaosConfig } from './config.ts';
import { startChaosRun } from './run-chaos.ts';

// `npm run chaos [-- --redis-cluster]` (docs/chaos.md): one bounded chaos run against a
// cluster of its own on loopback. Progress goes to stderr; stdout gets the failed invariants, one per line, then
// the summary line. Exit 0 only if every invariant held.

let config: ChaosConfig;
try {
  config = chaosConfigFromEnv(process.env, process.argv.slice(2));
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}

const startedAt = Date.now();
const log = (line: string) => console.error(`chaos ${((Date.now() - startedAt) / 1000).toFixed(1).padStart(6)}s  ${line}`);
const run = startChaosRun(config, log);

async function abort(reason: string, code: number): Promise<never> {
  console.error(`chaos: ${reason}; stopping everything it started`);
  await run.abort().catch((error: Error) => console.error(`chaos: teardown failed: ${error.message}`));
  process.exit(code);
}
const watchdog = setTimeout(() => void abort(`still running after CHAOS_MAX_SECONDS=${config.maxSeconds}`, 1), config.maxSeconds * 1000);
watchdog.unref();
process.once('SIGINT', () => void abort('interrupted', 130));
process.once('SIGTERM', () => void abort('terminated', 143));

try {
  const outcome = await run.outcome;
  for (const failure of outcome.failures) console.log(`CHAOS FAIL ${failure}`);
  if (!outcome.ok) console.log(`logs kept in ${outcome.logDir}; replay with CHAOS_SEED=${config.seed}`);
  console.log(outcome.summary);
  process.exit(outcome.ok ? 0 : 1);
} catch (error) {
  console.error(`chaos: the run itself failed: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
}
