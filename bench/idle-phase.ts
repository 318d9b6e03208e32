import type { BenchTarget } from './cluster.ts';
import { log, pause } from './config.ts';
import { cpuDelta, sampleCpu } from './cpu.ts';
import { postgresPids } from './postgres-stats.ts';
import { fmt } from './table.ts';

const IDLE_PAUSE_MS = 11_000;

/**
 * An idle pause: Postgres backends publish their counters to pg_stat_database at most
 * every 10 s when idle, so the baseline taken after it includes every launch; meanwhile,
 * what idle nodes cost. Returns the report's line.
 */
export async function measureIdleCost(target: BenchTarget): Promise<string> {
  const idlePgPids = await postgresPids(target.databaseName);
  const idleStart = sampleCpu(target.nodePids, target.wallet?.pid, idlePgPids);
  const idleFrom = Date.now();
  await pause(IDLE_PAUSE_MS);
  const idle = cpuDelta(idleStart, sampleCpu(target.nodePids, target.wallet?.pid, idlePgPids));
  const idleSeconds = (Date.now() - idleFrom) / 1000;
  const idleLine =
    `idle cost (${fmt(idleSeconds, 0)} s with no requests): nodes ${fmt(idle.nodes / idleSeconds, 1)} ms CPU/s in total, ` +
    `postgres ${fmt(idle.postgres / idleSeconds, 1)} ms/s (this database + writers), redis ${fmt(idle.redis / idleSeconds, 1)} ms/s, ` +
    `machine ${fmt((100 * idle.machineBusy) / Math.max(1, idle.machineTotal), 0)}% busy`;
  log(idleLine);
  return idleLine;
}
