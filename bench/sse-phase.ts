import os from 'node:os';
import type { BenchTarget } from './cluster.ts';
import { config, log, type Failures } from './config.ts';
import { cpuDelta, sampleCpu } from './cpu.ts';
import { countOf, percentile } from './load.ts';
import { PACED_CONNECTIONS_PER_NODE } from './open-loop-levels.ts';
import type { BenchOperator } from './operator-setup.ts';
import type { ProductDb } from './postgres-stats.ts';
import { runSse, type SseResult } from './sse.ts';
import { fmt, table } from './table.ts';

export interface SsePhase {
  sse: SseResult;
  /** CPU over the whole phase, for the report. */
  cpuLine: string;
}

/** SSE_MAX_CLIENTS_PER_OPERATOR and SSE_MAX_CLIENTS for the bench's own nodes: the SSE phase's clients and a margin. */
export function sseCaps(): NodeJS.ProcessEnv {
  if (!config.sse) return {};
  const cap = String(Math.max(config.sseClients + 100, 10_000));
  return { SSE_MAX_CLIENTS_PER_OPERATOR: cap, SSE_MAX_CLIENTS: cap };
}

/**
 * SSE (BENCH_SSE, on by default): idle GET /stream clients on one node while bets run (its
 * bets are in the database checks, not in the levels' figures).
 */
export async function runSsePhase(run: {
  target: BenchTarget;
  targeted: boolean;
  nodeName: string;
  operator: BenchOperator;
  tokens: string[];
  playerPrefix: string;
  keyPrefix: string;
  productDb: ProductDb | undefined;
  failures: Failures;
}): Promise<SsePhase> {
  const { target, productDb, operator } = run;
  log(`SSE: opening ${config.sseClients} clients on ${run.nodeName} (${target.nodeUrls[0]})`);
  if (run.targeted) log('SSE: a targeted cluster keeps its own SSE_MAX_CLIENTS_PER_OPERATOR / SSE_MAX_CLIENTS: clients over them get 429');
  const sseCpuBefore = sampleCpu(target.nodePids.slice(0, 1), undefined, []);
  const sseFrom = Date.now();
  const sse = await runSse({
    nodeUrl: target.nodeUrls[0]!,
    nodePid: target.nodePids[0],
    loadUrls: target.nodeUrls,
    apiKey: operator.apiKey,
    tokens: run.tokens,
    playerIds: config.ssePlayerFilter ? Array.from({ length: config.players }, (_, index) => `${run.playerPrefix}${index}`) : undefined,
    keyPrefix: `${run.keyPrefix}-sse`,
    requested: config.sseClients,
    sample: config.sseSample,
    durationS: config.sseDurationS,
    ratePerS: config.sseRate,
    connectionsPerUrl: PACED_CONNECTIONS_PER_NODE,
    log,
    countEvents: productDb
      ? async () => Number((await productDb.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE operator_id = $1', [operator.id])).rows[0]?.n ?? 0)
      : undefined,
    drainMaxS: 60,
  });
  const sseCpu = cpuDelta(sseCpuBefore, sampleCpu(target.nodePids.slice(0, 1), undefined, []));
  const sseSeconds = (Date.now() - sseFrom) / 1000;
  const cpuLine =
    `  CPU over the whole SSE phase (${fmt(sseSeconds, 0)} s, opening to close): ${run.nodeName} ${fmt(sseCpu.nodes / sseSeconds, 0)} ms/s, ` +
    `this bench process (all SSE clients + autocannon) ${fmt(sseCpu.loadgen / sseSeconds, 0)} ms/s, machine ` +
    `${fmt((100 * sseCpu.machineBusy) / Math.max(1, sseCpu.machineTotal), 0)}% busy (${os.cpus().length} CPUs)`;
  log(
    `SSE: ${sse.events} events received (database: ${sse.eventsProduced ?? "n/a"}), latency p50 ${fmt(percentile(sse.latencies, 0.5), 0)} ms, p99 ${fmt(percentile(sse.latencies, 0.99), 0)} ms, ` +
      `disconnects ${sse.disconnects}`,
  );
  const { failures } = run;
  if (sse.connected < sse.attempted) failures.push(`SSE: only ${sse.connected} of ${sse.attempted} clients connected`);
  if (sse.eventsProduced !== undefined && sse.events < sse.eventsProduced) {
    failures.push(`SSE: sampled clients received ${sse.events} of the ${sse.eventsProduced} events the load produced`);
  }
  if (sse.disconnects > 0) failures.push(`SSE: ${sse.disconnects} clients disconnected before the bench closed them`);
  return { sse, cpuLine };
}

/** The report's SSE section. */
export function sseReport({ sse, cpuLine }: SsePhase, nodeName: string | undefined): string[] {
  const report: string[] = [];
  const settled = countOf(sse.load, (status) => status === 201);
  report.push('');
  report.push(
    `SSE: idle GET /stream clients${config.ssePlayerFilter ? ` each filtered to one of ${config.players} players (?playerId=)` : ''} on ${nodeName} for the bench operator; bets at ${fmt(config.sseRate, 0)}/s offered (open loop) × ` +
      `${fmt(sse.load.durationS, 0)} s over all nodes meanwhile (${fmt(settled / sse.load.durationS, 1)} settled bets/s, ` +
      `statuses ${JSON.stringify(Object.fromEntries(sse.load.statuses))}); latency = receive time − event occurredAt, over every frame of ` +
      `${sse.sampled} sampled clients:`,
  );
  if (sse.capNote) report.push(`  ${sse.capNote}`);
  report.push(
    table(
      ['clients requested', 'clients connected', 'RSS before MB', 'RSS after MB', 'events during run', 'events received', 'latency p50 ms', 'p99 ms', 'disconnects'],
      [
        [
          String(sse.requested),
          String(sse.connected),
          fmt(sse.rssBefore, 1),
          fmt(sse.rssAfter, 1),
          sse.eventsProduced === undefined ? 'n/a' : String(sse.eventsProduced),
          String(sse.events),
          fmt(percentile(sse.latencies, 0.5), 0),
          fmt(percentile(sse.latencies, 0.99), 0),
          String(sse.disconnects),
        ],
      ],
    ),
  );
  report.push(
    `  opened in ${fmt(sse.openSeconds, 1)} s (batches of 500); frames per sampled client min ${sse.framesPerSample.min} / mean ` +
      `${fmt(sse.framesPerSample.mean, 1)} / max ${sse.framesPerSample.max}; latency max ${fmt(sse.latencies[sse.latencies.length - 1], 0)} ms over ` +
      `${sse.latencies.length} frames; by the load's end the sampled clients had ${sse.eventsByLoadEnd} events, the rest arrived within ` +
      `${fmt(sse.drainSeconds, 1)} s after it${sse.drainCapped ? ' (drain cap of 60 s reached)' : ''}; ${sse.connected - sse.disconnects} of ${sse.connected} still connected at the end` +
      (sse.openFailures.size ? `; open failures ${JSON.stringify(Object.fromEntries(sse.openFailures))}` : '') +
      (sse.controlFrames.size ? `; control frames ${JSON.stringify(Object.fromEntries(sse.controlFrames))}` : ''),
  );
  if (sse.nodeCpuMsPerS !== undefined) report.push(`  CPU of ${nodeName} from the load's start to the end of the drain: ${fmt(sse.nodeCpuMsPerS, 0)} ms/s`);
  report.push(cpuLine);
  return report;
}
