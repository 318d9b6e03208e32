import type { BenchTarget } from './cluster.ts';
import { config, log, pause } from './config.ts';
import { sampleCpu } from './cpu.ts';
import { measureLevel, type Level } from './level.ts';
import { runLevel } from './load.ts';
import type { BenchOperator } from './operator-setup.ts';
import { fmt } from './table.ts';

export interface ClosedLoopRun {
  levels: Level[];
  /** The measured window (the profile summary keeps to it). */
  loadStart: number;
  loadEnd: number;
  /** The nodes' own CPU over that window (/proc), next to what their profiles sampled. */
  nodesCpuMs: number;
}

/** BENCH_CONCURRENCIES: each level keeps that many requests in flight over all nodes for BENCH_DURATION. */
export async function runClosedLoopLevels(target: BenchTarget, operator: BenchOperator, tokens: string[], keyPrefix: string): Promise<ClosedLoopRun> {
  const levels: Level[] = [];
  const loadStart = Date.now();
  const nodesCpuAtStart = sampleCpu(target.nodePids, undefined, []).nodes;
  for (const connections of config.concurrencies) {
    const level = await measureLevel(target, `c=${connections}`, () =>
      runLevel({ urls: target.nodeUrls, connections, durationS: config.durationS, apiKey: operator.apiKey, tokens, keyPrefix: `${keyPrefix}-c${connections}` }),
    );
    levels.push(level);
    const { result } = level;
    log(
      `c=${connections}: ${fmt(level.settledPerS, 1)} settled bets/s, p50 ${fmt(level.p50, 2)} ms, p99 ${fmt(level.p99, 2)} ms, ` +
        `errors ${level.errors}, 202s ${level.accepted}, statuses ${JSON.stringify(Object.fromEntries(result.statuses))}`,
    );
    for (const [problem, count] of result.problems) log(`   non-2xx ${problem}: ${count}`);
    for (const sample of result.problemSamples.slice(0, 2)) log(`   e.g. ${sample}`);
    for (const [message, count] of result.errorMessages) log(`   socket error "${message}": ${count}`);
    // Let the settlements still running from the last requests finish before the next level.
    await pause(1_000);
  }
  const loadEnd = Date.now();
  const nodesCpuMs = sampleCpu(target.nodePids, undefined, []).nodes - nodesCpuAtStart;
  return { levels, loadStart, loadEnd, nodesCpuMs };
}
