import os from 'node:os';
import type { BenchTarget } from './cluster.ts';
import { config, log, type Failures, type SseShapeName } from './config.ts';
import { cpuDelta, sampleCpu } from './cpu.ts';
import { countOf, percentile } from './load.ts';
import { PACED_CONNECTIONS_PER_NODE } from './open-loop-levels.ts';
import { launchSessions, type BenchOperator } from './operator-setup.ts';
import type { ProductDb } from './postgres-stats.ts';
import type { SseFigures } from './report.ts';
import { runSse, type SseResult } from './sse.ts';
import { fmt, table } from './table.ts';

/** One shape of the SSE phase, measured. */
export interface SseShape {
  name: SseShapeName;
  /** What the clients were, for the report. */
  description: string;
  nodeNames: string[];
  sse: SseResult;
  /** CPU over the whole shape, for the report. */
  cpuLine: string;
}

export interface SsePhase {
  shapes: SseShape[];
}

/** The clients a shape opens: fanout BENCH_SSE_CLIENTS, the filtered shapes BENCH_SSE_PLAYER_CLIENTS. */
const clientsOf = (shape: SseShapeName) => (shape === 'fanout' ? config.sseClients : config.ssePlayerClients);

/** SSE_MAX_CLIENTS_PER_OPERATOR and SSE_MAX_CLIENTS for the bench's own nodes: the largest shape's clients and a margin. */
export function sseCaps(): NodeJS.ProcessEnv {
  if (!config.sse || !config.sseShapes.length) return {};
  const cap = String(Math.max(...config.sseShapes.map(clientsOf)) + 100);
  return { SSE_MAX_CLIENTS_PER_OPERATOR: cap, SSE_MAX_CLIENTS: cap };
}

/**
 * SSE (BENCH_SSE, on by default): idle GET /stream clients while bets are offered open loop
 * at BENCH_SSE_RATE (their bets are in the database checks, not in the levels' figures), one
 * shape after the other (BENCH_SSE_SHAPES):
 * - fanout: BENCH_SSE_CLIENTS (2,000) unfiltered clients on the first node; every client gets every event;
 * - player: BENCH_SSE_PLAYER_CLIENTS (10,000) clients on the first node, client i filtered to
 *   player i (the bench launches that many players), the bets spread over those players;
 * - spread (information): the player shape's clients round robin over every node, as a load balancer would.
 */
export async function runSsePhase(run: {
  target: BenchTarget;
  targeted: boolean;
  nodeNames: string[];
  operator: BenchOperator;
  tokens: string[];
  playerPrefix: string;
  keyPrefix: string;
  productDb: ProductDb | undefined;
  failures: Failures;
}): Promise<SsePhase> {
  const { target, productDb, operator } = run;
  if (run.targeted) log('SSE: a targeted cluster keeps its own SSE_MAX_CLIENTS_PER_OPERATOR / SSE_MAX_CLIENTS: clients over them get 429');
  let tokens = run.tokens;
  const shapes: SseShape[] = [];
  for (const name of config.sseShapes) {
    const filtered = name !== 'fanout';
    const requested = clientsOf(name);
    if (filtered && tokens.length < requested) {
      const launchStart = Date.now();
      tokens = [...tokens, ...(await launchSessions(target, operator.apiKey, run.playerPrefix, tokens.length, requested))];
      log(`SSE: ${requested - run.tokens.length} more sessions launched in ${((Date.now() - launchStart) / 1000).toFixed(1)} s (one player per filtered client)`);
    }
    const nodeCount = name === 'spread' ? target.nodeUrls.length : 1;
    const nodeUrls = target.nodeUrls.slice(0, nodeCount);
    const nodePids = target.nodePids.slice(0, nodeCount);
    const nodeNames = run.nodeNames.slice(0, nodeCount);
    const description = filtered
      ? `${requested} GET /stream clients each filtered to its own player (?playerId=), bets spread over those players`
      : `${requested} unfiltered GET /stream clients, every client gets every event`;
    log(`SSE ${name}: ${description}, on ${nodeNames.join(' + ')}`);
    const cpuBefore = sampleCpu(nodePids, undefined, []);
    const from = Date.now();
    const sse = await runSse({
      nodeUrls,
      nodePids,
      loadUrls: target.nodeUrls,
      apiKey: operator.apiKey,
      tokens: filtered ? tokens.slice(0, requested) : run.tokens,
      playerIds: filtered ? Array.from({ length: requested }, (_, index) => `${run.playerPrefix}${index}`) : undefined,
      keyPrefix: `${run.keyPrefix}-sse-${name}`,
      requested,
      // A filtered client gets few frames: parsing all of them costs little, and every event then has a sampled watcher.
      sample: filtered ? requested : config.sseSample,
      durationS: config.sseDurationS,
      ratePerS: config.sseRate,
      connectionsPerUrl: PACED_CONNECTIONS_PER_NODE,
      log: (line) => log(line.replace(/^SSE:/, `SSE ${name}:`)),
      countEvents: productDb
        ? async () => Number((await productDb.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE operator_id = $1', [operator.id])).rows[0]?.n ?? 0)
        : undefined,
      drainMaxS: 60,
    });
    const cpu = cpuDelta(cpuBefore, sampleCpu(nodePids, undefined, []));
    const seconds = (Date.now() - from) / 1000;
    const cpuLine =
      `  CPU over the whole shape (${fmt(seconds, 0)} s, opening to close): ${nodeNames.join(' + ')} ${fmt(cpu.nodes / seconds, 0)} ms/s, ` +
      `this bench process (all SSE clients + the bet generator) ${fmt(cpu.loadgen / seconds, 0)} ms/s, machine ` +
      `${fmt((100 * cpu.machineBusy) / Math.max(1, cpu.machineTotal), 0)}% busy (${os.cpus().length} CPUs)`;
    log(
      `SSE ${name}: ${sse.events} events received (database: ${sse.eventsProduced ?? 'n/a'}), latency p50 ${fmt(percentile(sse.latencies, 0.5), 0)} ms, ` +
        `p99 ${fmt(percentile(sse.latencies, 0.99), 0)} ms, disconnects ${sse.disconnects}`,
    );
    const { failures } = run;
    if (sse.connected < sse.attempted) failures.push(`SSE ${name}: only ${sse.connected} of ${sse.attempted} clients connected`);
    if (sse.eventsProduced !== undefined && sse.events < sse.eventsProduced) {
      failures.push(`SSE ${name}: sampled clients received ${sse.events} of the ${sse.eventsProduced} events the load produced`);
    }
    if (sse.disconnects > 0) failures.push(`SSE ${name}: ${sse.disconnects} clients disconnected before the bench closed them`);
    shapes.push({ name, description, nodeNames, sse, cpuLine });
  }
  return { shapes };
}

/** A shape's figures for the BENCH line (clients connected, p99 over every sampled frame). */
export function sseFigures(phase: SsePhase | undefined, name: SseShapeName): SseFigures | undefined {
  const shape = phase?.shapes.find((candidate) => candidate.name === name);
  return shape && { clients: shape.sse.connected, p99Ms: percentile(shape.sse.latencies, 0.99) };
}

/** The report's SSE section: a line per shape, a table, then each shape's details. */
export function sseReport({ shapes }: SsePhase): string[] {
  const report: string[] = [];
  report.push('');
  report.push(
    `SSE: idle GET /stream clients of the bench operator while bets are offered at ${fmt(config.sseRate, 0)}/s (open loop) × ${fmt(config.sseDurationS, 0)} s over ` +
      'all nodes; latency = receive time − event occurredAt, over every frame of the sampled clients (fanout: BENCH_SSE_SAMPLE of them; ' +
      'the filtered shapes: all); "spread" is information only (not in the BENCH line):',
  );
  for (const shape of shapes) report.push(`  ${shape.name}: ${shape.description}, on ${shape.nodeNames.join(' + ')}`);
  report.push(
    table(
      ['shape', 'clients requested', 'clients connected', 'settled bets/s', 'RSS before MB', 'RSS after MB', 'events during run', 'events received', 'latency p50 ms', 'p99 ms', 'max ms', 'disconnects'],
      shapes.map(({ name, sse }) => [
        name,
        String(sse.requested),
        String(sse.connected),
        fmt(countOf(sse.load, (status) => status === 201) / sse.load.durationS, 1),
        fmt(sse.rssBefore, 1),
        fmt(sse.rssAfter, 1),
        sse.eventsProduced === undefined ? 'n/a' : String(sse.eventsProduced),
        String(sse.events),
        fmt(percentile(sse.latencies, 0.5), 0),
        fmt(percentile(sse.latencies, 0.99), 0),
        fmt(sse.latencies[sse.latencies.length - 1], 0),
        String(sse.disconnects),
      ]),
    ),
  );
  for (const { name, sse, cpuLine, nodeNames } of shapes) {
    report.push(`${name}:`);
    if (sse.capNote) report.push(`  ${sse.capNote}`);
    report.push(
      `  bet statuses ${JSON.stringify(Object.fromEntries(sse.load.statuses))}; opened in ${fmt(sse.openSeconds, 1)} s (batches of 500); ${sse.sampled} sampled clients, ` +
        `frames per sampled client min ${sse.framesPerSample.min} / mean ${fmt(sse.framesPerSample.mean, 1)} / max ${sse.framesPerSample.max} over ` +
        `${sse.latencies.length} frames; by the load's end the sampled clients had ${sse.eventsByLoadEnd} events, the rest arrived within ` +
        `${fmt(sse.drainSeconds, 1)} s after it${sse.drainCapped ? ' (drain cap of 60 s reached)' : ''}; ${sse.connected - sse.disconnects} of ${sse.connected} still connected at the end` +
        (sse.openFailures.size ? `; open failures ${JSON.stringify(Object.fromEntries(sse.openFailures))}` : '') +
        (sse.controlFrames.size ? `; control frames ${JSON.stringify(Object.fromEntries(sse.controlFrames))}` : ''),
    );
    if (sse.nodeCpuMsPerS !== undefined) report.push(`  CPU of ${nodeNames.join(' + ')} from the load's start to the end of the drain: ${fmt(sse.nodeCpuMsPerS, 0)} ms/s`);
    report.push(cpuLine);
  }
  return report;
}
