import { runFuzz } from '../test/fuzz/run.ts';
import { startFuzzTarget } from '../test/fuzz/target.ts';

// `npm run fuzz`: SPEC §10.4 at scale. Starts a database, Redis prefix, wallet mock and
// RGS node of its own (as the tests do), sends FUZZ_RUNS invalid requests (10,000 by
// default) to the node's public and admin routes and to the wallet mock, and exits
// non-zero with the shrunk counterexample if any was not answered 4xx (problem+json from
// the node, JSON with a code from the mock) or changed the database or the mock's books.
// FUZZ_SEED replays a run.

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < (name === 'FUZZ_SEED' ? -(2 ** 31) : 1)) {
    console.error(`${name} must be an integer, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

const runs = positiveInteger('FUZZ_RUNS', 10_000);
const seed = positiveInteger('FUZZ_SEED', Date.now() % 2 ** 31);

console.log(`fuzz: starting a node of its own (seed ${seed}, ${runs} cases)`);
const target = await startFuzzTarget();
let exitCode = 1;
try {
  const report = await runFuzz(target, {
    runs,
    seed,
    progress: { every: 1_000, report: (done) => console.log(`fuzz: ${done} cases`) },
  });
  const histogram = Object.entries(report.statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `  ${status}: ${count}`)
    .join('\n');
  console.log(`fuzz: ${report.runs} cases over ${Object.keys(report.byRoute).length} routes in ${(report.durationMs / 1000).toFixed(1)} s, seed ${report.seed}`);
  console.log(`fuzz: answers by status\n${histogram}`);
  const perListener = Object.entries(report.byListener).map(([listener, count]) => `${listener} ${count}`).join(', ');
  console.log(`fuzz: cases by listener: ${perListener}`);
  if (report.failure) console.error(`fuzz: FAILED\n${report.failure}`);
  else console.log('fuzz: every answer was a 4xx (problem+json from the node, JSON with a code from the wallet mock); neither the database nor the mock\'s books changed');
  exitCode = report.failure ? 1 : 0;
} finally {
  await target.stop();
}
process.exit(exitCode);
