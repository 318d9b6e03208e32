import { randomBytes } from 'node:crypto';

// The benchmark's environment (documented at the top of run.ts), parsed once.

function numberEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return value;
}

function positiveList(name: string, fallback: string, what: string): number[] {
  return (process.env[name] ?? fallback)
    .split(',')
    .filter((raw) => raw.trim() !== '')
    .map((raw) => {
      const value = Number(raw.trim());
      if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}: ${raw} is not ${what}`);
      return value;
    });
}

/** The SSE phase's shapes (sse-phase.ts), in the order they run. */
export const SSE_SHAPES = ['fanout', 'player', 'spread'] as const;
export type SseShapeName = (typeof SSE_SHAPES)[number];

function sseShapes(): SseShapeName[] {
  // BENCH_SSE_PLAYER_FILTER=1, from before the shapes: only the filtered clients on one node.
  const fallback = process.env.BENCH_SSE_PLAYER_FILTER === '1' ? 'player' : SSE_SHAPES.join(',');
  return (process.env.BENCH_SSE_SHAPES ?? fallback)
    .split(',')
    .filter((raw) => raw.trim() !== '')
    .map((raw) => {
      const name = raw.trim();
      if (!(SSE_SHAPES as readonly string[]).includes(name)) throw new Error(`BENCH_SSE_SHAPES: ${raw} is not one of ${SSE_SHAPES.join(', ')}`);
      return name as SseShapeName;
    });
}

export const config = {
  durationS: numberEnv('BENCH_DURATION', 10),
  warmupS: numberEnv('BENCH_WARMUP', 3),
  concurrencies: (process.env.BENCH_CONCURRENCIES ?? '8,16,32,64').split(',').map((raw) => {
    const value = Number(raw.trim());
    if (!Number.isInteger(value) || value < 1) throw new Error(`BENCH_CONCURRENCIES: ${raw} is not a positive integer`);
    return value;
  }),
  // Open-loop levels after the closed-loop ones: fixed rates (an empty BENCH_RATES: none),
  // then shares (%) of the same run's best closed-loop rate (an empty BENCH_RATE_SHARES: none).
  rates: positiveList('BENCH_RATES', '100', 'a positive number of bets/s'),
  rateShares: positiveList('BENCH_RATE_SHARES', '25,50,75', 'a positive percentage'),
  players: Math.floor(numberEnv('BENCH_PLAYERS', 2000)),
  profile: process.env.BENCH_PROFILE === '1' || process.env.BENCH_PROFILE === 'true',
  // BENCH_PROFILE_DIR keeps the .cpuprofile files there (open them in Chrome DevTools).
  keepProfiles: process.env.BENCH_PROFILE_DIR,
  ceilingRuns: Math.min(2, Math.floor(numberEnv('BENCH_CEILING_RUNS', 2))),
  maxSeconds: numberEnv('BENCH_MAX_SECONDS', 600),
  failOnErrors: process.env.BENCH_FAIL_ON_ERRORS === '1',
  webhooks: process.env.BENCH_WEBHOOKS === '1',
  sse: process.env.BENCH_SSE !== '0' && process.env.BENCH_SSE !== 'false',
  sseShapes: sseShapes(),
  sseClients: Math.floor(numberEnv('BENCH_SSE_CLIENTS', 2_000)),
  ssePlayerClients: Math.floor(numberEnv('BENCH_SSE_PLAYER_CLIENTS', 10_000)),
  sseSample: Math.floor(numberEnv('BENCH_SSE_SAMPLE', 200)),
  sseDurationS: numberEnv('BENCH_SSE_DURATION', 10),
  sseRate: numberEnv('BENCH_SSE_RATE', 50),
  // Statements, commits, rows, wallet calls, Redis commands and syscalls per bet (costs.ts).
  counts: process.env.BENCH_COUNTS === '1',
};

/** Names this run's operator, players, idempotency keys and (own cluster) database and Redis prefix. */
export const runId = randomBytes(4).toString('hex');
const startedAt = Date.now();
/** Progress on stderr, timed from the start; stdout carries only the report. */
export const log = (line: string) => console.error(`bench ${((Date.now() - startedAt) / 1000).toFixed(1).padStart(5)}s  ${line}`);
export const secondsSinceStart = () => (Date.now() - startedAt) / 1000;

/** Failures found along the way; any of them makes the run exit 1 (listed under FAILED:). */
export type Failures = string[];

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
