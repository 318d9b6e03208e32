import type { BenchTarget } from './cluster.ts';
import { config, log, pause } from './config.ts';
import { measureLevel, type Level } from './level.ts';
import type { BenchOperator } from './operator-setup.ts';
import { runPacedLevel } from './paced.ts';
import { fmt } from './table.ts';

// Connections per node the generator may open (issue #4).
export const PACED_CONNECTIONS_PER_NODE = 256;

export type PacedLevel = Level & { ratePerS: number };

/** BENCH_RATES: a fixed offered rate each, after the closed-loop levels (and outside the profile window). */
export async function runOpenLoopLevels(target: BenchTarget, operator: BenchOperator, tokens: string[], keyPrefix: string): Promise<PacedLevel[]> {
  const pacedLevels: PacedLevel[] = [];
  for (const ratePerS of config.rates) {
    const measured = await measureLevel(target, `${ratePerS}/s offered`, () =>
      runPacedLevel({
        urls: target.nodeUrls,
        ratePerS,
        durationS: config.durationS,
        apiKey: operator.apiKey,
        tokens,
        keyPrefix: `${keyPrefix}-r${ratePerS}`,
        connectionsPerUrl: PACED_CONNECTIONS_PER_NODE,
      }),
    );
    const level = { ...measured, ratePerS };
    pacedLevels.push(level);
    const { result } = level;
    log(
      `${ratePerS} bets/s offered: ${fmt(level.settledPerS, 1)} settled bets/s, p50 ${fmt(level.p50, 2)} ms, p99 ${fmt(level.p99, 2)} ms, ` +
        `errors ${level.errors}, 202s ${level.accepted}, statuses ${JSON.stringify(Object.fromEntries(result.statuses))}`,
    );
    for (const [problem, count] of result.problems) log(`   non-2xx ${problem}: ${count}`);
    for (const [message, count] of result.errorMessages) log(`   error "${message}": ${count}`);
    await pause(1_000);
  }
  return pacedLevels;
}
