import type { BenchTarget } from './cluster.ts';
import { cpuDelta, sampleCpu, type CpuTotals } from './cpu.ts';
import { countOf, percentile, type LevelResult } from './load.ts';
import { postgresPids } from './postgres-stats.ts';
import { rssMb } from './processes.ts';

/** One measured level, closed- or open-loop, as the report reads it. */
export interface Level {
  /** "c=64" for a closed-loop level, "200/s offered" for an open-loop one. */
  label: string;
  result: LevelResult;
  settledPerS: number;
  p50: number;
  p99: number;
  errors: number;
  accepted: number;
  rss: (number | undefined)[];
  cpu: CpuTotals;
  settled: number;
}

function summarise(label: string, result: LevelResult, rss: (number | undefined)[], cpu: CpuTotals): Level {
  const settled = countOf(result, (status) => status === 201);
  const accepted = countOf(result, (status) => status === 202);
  const non2xx = countOf(result, (status) => status < 200 || status >= 300);
  return {
    label,
    result,
    settled,
    settledPerS: settled / result.durationS,
    p50: percentile(result.latencies, 0.5),
    p99: percentile(result.latencies, 0.99),
    errors: non2xx + result.socketErrors + result.timeouts,
    accepted,
    rss,
    cpu,
  };
}

/** Runs one level's load and measures it: its answers, the CPU of every process involved, the nodes' RSS after it. */
export async function measureLevel(target: BenchTarget, label: string, load: () => Promise<LevelResult>): Promise<Level> {
  const walletPid = target.wallet?.pid;
  const pgBefore = await postgresPids(target.databaseName);
  const cpuBefore = sampleCpu(target.nodePids, walletPid, pgBefore);
  const result = await load();
  const cpuAfter = sampleCpu(target.nodePids, walletPid, [...new Set([...pgBefore, ...(await postgresPids(target.databaseName))])]);
  return summarise(label, result, target.nodePids.map(rssMb), cpuDelta(cpuBefore, cpuAfter));
}
