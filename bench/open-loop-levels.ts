import type { BenchTarget } from './cluster.ts';
import type { CostCounter, CountsDelta } from './costs.ts';
import { config, log, pause } from './config.ts';
import { measureLevel, type Level } from './level.ts';
import type { BenchOperator } from './operator-setup.ts';
import { runPacedLevel } from './paced.ts';
import { fmt } from './table.ts';

// Connections per node the generator may open (issue #4).
export const PACED_CONNECTIONS_PER_NODE = 256;

/** `share`: the level's rate as a percentage of the run's best closed-loop rate (BENCH_RATE_SHARES); undefined for a BENCH_RATES level. */
/** `counts`: with BENCH_COUNTS=1 (costs.ts). */
export type PacedLevel = Level & { ratePerS: number; share?: number; counts?: CountsDelta };

/**
 * After the closed-loop levels (and outside the profile window), a fixed offered rate each:
 * BENCH_RATES (100 bets/s: the CPU per bet an operator pays at light load), then
 * BENCH_RATE_SHARES of the best closed-loop rate (25, 50, 75 %: the p99 at a load the
 * cluster has headroom for).
 */
export async function runOpenLoopLevels(target: BenchTarget, operator: BenchOperator, tokens: string[], keyPrefix: string, bestRatePerS: number, counter?: CostCounter): Promise<PacedLevel[]> {
  const planned = [
    ...config.rates.map((ratePerS) => ({ ratePerS, share: undefined })),
    // Whole bets/s, at least 1: the generator paces by the rate, and a label reads better.
    ...config.rateShares.map((share) => ({ ratePerS: Math.max(1, Math.round((bestRatePerS * share) / 100)), share })),
  ];
  if (config.rateShares.length) log(`open loop: best closed-loop rate ${fmt(bestRatePerS, 1)} bets/s, so ${config.rateShares.map((share, index) => `${share} % = ${planned[config.rates.length + index]!.ratePerS}`).join(', ')} bets/s`);
  const pacedLevels: PacedLevel[] = [];
  for (const { ratePerS, share } of planned) {
    const label = share === undefined ? `${ratePerS}/s offered` : `${ratePerS}/s offered (${share} %)`;
    // Counted from a settled state to a settled state (pg_stat_database's lag, costs.ts).
    if (counter) await counter.settle();
    const countsBefore = await counter?.sample();
    const measured = await measureLevel(target, label, () =>
      runPacedLevel({
        urls: target.nodeUrls,
        ratePerS,
        durationS: config.durationS,
        apiKey: operator.apiKey,
        tokens,
        keyPrefix: `${keyPrefix}-r${ratePerS}${share === undefined ? '' : `-s${share}`}`,
        connectionsPerUrl: PACED_CONNECTIONS_PER_NODE,
      }),
    );
    let counts: CountsDelta | undefined;
    if (counter && countsBefore) {
      await counter.settle();
      counts = counter.delta(countsBefore, await counter.sample());
    }
    const level = { ...measured, ratePerS, share, counts };
    pacedLevels.push(level);
    const { result } = level;
    log(
      `${label}: ${fmt(level.settledPerS, 1)} settled bets/s, p50 ${fmt(level.p50, 2)} ms, p99 ${fmt(level.p99, 2)} ms, ` +
        `errors ${level.errors}, 202s ${level.accepted}, statuses ${JSON.stringify(Object.fromEntries(result.statuses))}`,
    );
    for (const [problem, count] of result.problems) log(`   non-2xx ${problem}: ${count}`);
    for (const [message, count] of result.errorMessages) log(`   error "${message}": ${count}`);
    await pause(1_000);
  }
  return pacedLevels;
}
