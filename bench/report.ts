import type { Ceiling } from './ceiling.ts';
import { config } from './config.ts';
import type { Level } from './level.ts';
import { percentile } from './load.ts';
import { PACED_CONNECTIONS_PER_NODE, type PacedLevel } from './open-loop-levels.ts';
import { fmt, table } from './table.ts';

// A level within this share of the best throughput counts as reaching it (the knee line).
const KNEE_SHARE = 0.95;
// The p99 the levels are read against (issue #4).
const P99_TARGET_MS = 100;

/** The best closed-loop level: the one the BENCH line reports. */
export const bestLevel = (levels: Level[]) => levels.reduce((a, b) => (b.settledPerS > a.settledPerS ? b : a));

/** The report's head: what ran, the ceiling, the closed-loop levels with their knee, latency by outcome and node, CPU per bet. */
export function levelsReport(run: {
  runId: string;
  nodeUrls: string[];
  nodeNames: string[];
  ceilings: Ceiling[];
  ceilingTps: number;
  levels: Level[];
  pacedLevels: PacedLevel[];
  walletPid: number | undefined;
}): string[] {
  const { levels, ceilingTps, nodeNames } = run;
  const report: string[] = [];
  const best = bestLevel(levels);
  report.push('');
  report.push(
    `RGS benchmark ${run.runId}: POST /bets (dice, amount 100, target 50 under) over ${run.nodeUrls.length} nodes, ${config.players} players, ` +
      `${config.durationS} s per level${config.profile ? ', PROFILE MODE (--cpu-prof on the nodes: slower)' : ''}`,
  );
  report.push(`ceiling: ${run.ceilings.map((ceiling) => `${ceiling.tps} tps (c=${ceiling.clients}, p50 ${ceiling.p50Ms} ms, p99 ${ceiling.p99Ms} ms)`).join(' / ')} → mean ${fmt(ceilingTps, 0)}`);
  report.push('');
  report.push(
    table(
      ['concurrency', 'settled bets/s', 'p50 ms', 'p99 ms', 'errors', '202s', ...nodeNames.map((name) => `RSS ${name} MB`), 'ceiling tps', 'ratio'],
      levels.map((level) => [
        String(level.result.connections),
        fmt(level.settledPerS, 1),
        fmt(level.p50, 2),
        fmt(level.p99, 2),
        String(level.errors),
        String(level.accepted),
        ...nodeNames.map((_, index) => fmt(level.rss[index], 1)),
        fmt(ceilingTps, 0),
        fmt(level.settledPerS / ceilingTps, 3),
      ]),
    ),
  );
  // Information only (the BENCH line stays the literal best level): where adding
  // connections stops adding throughput and only adds queueing.
  const knee = levels
    .filter((level) => level.settledPerS >= KNEE_SHARE * best.settledPerS)
    .reduce((a, b) => (b.result.connections < a.result.connections ? b : a));
  report.push(
    `knee (the lowest concurrency within ${fmt(100 * (1 - KNEE_SHARE), 0)} % of the best throughput): c=${knee.result.connections}, ` +
      `${fmt(knee.settledPerS, 1)} bets/s, p50 ${fmt(knee.p50, 2)} ms, p99 ${fmt(knee.p99, 2)} ms`,
  );
  // Information only, as the knee: the most a level settled while its p99 stayed within
  // the target. In a closed loop at saturation the mean latency is connections ÷ bets/s,
  // so the best level's p99 follows from its throughput; this says how far the target holds.
  const withinTarget = levels.filter((level) => level.errors === 0 && level.p99 <= P99_TARGET_MS);
  const bestWithin = withinTarget.length ? withinTarget.reduce((a, b) => (b.settledPerS > a.settledPerS ? b : a)) : undefined;
  report.push(
    bestWithin
      ? `best level with p99 ≤ ${P99_TARGET_MS} ms and no errors: c=${bestWithin.result.connections}, ${fmt(bestWithin.settledPerS, 1)} bets/s, ` +
          `p50 ${fmt(bestWithin.p50, 2)} ms, p99 ${fmt(bestWithin.p99, 2)} ms, ratio ${fmt(bestWithin.settledPerS / ceilingTps, 3)}`
      : `no level kept p99 ≤ ${P99_TARGET_MS} ms without errors`,
  );
  // Where the tail comes from: a won bet makes two more hops than a lost one (its credit
  // call and that call's transition), so the two outcomes have different latencies. By
  // node: each node's answers, which tells two versions apart in a BENCH_NODE_ROOTS run.
  const states = [...new Set(levels.flatMap((level) => [...level.result.latenciesByState.keys()]))].sort();
  const summary = (sorted: Float64Array | undefined) =>
    sorted?.length ? `${sorted.length} / ${fmt(percentile(sorted, 0.5), 1)} / ${fmt(percentile(sorted, 0.99), 1)}` : '-';
  report.push('');
  report.push('latency of the 2xx answers by the bet\'s status in the answer, and by the node that answered (n / p50 ms / p99 ms):');
  report.push(
    table(
      ['concurrency', ...states, ...nodeNames],
      levels.map((level) => [
        String(level.result.connections),
        ...states.map((state) => summary(level.result.latenciesByState.get(state))),
        ...nodeNames.map((_, index) => summary(level.result.latenciesByUrl[index])),
      ]),
    ),
  );
  report.push('');
  report.push(
    'CPU ms per settled bet (/proc utime+stime; postgres = this database\'s backends + WAL/checkpoint writers; redis is shared with ' +
      'anything else using it; "others" = share of all cores busy with processes not listed, i.e. a noisy machine):',
  );
  report.push(
    table(
      ['level', 'nodes', 'each node (per bet it answered)', 'postgres', 'redis', 'walletmock', 'loadgen', 'total', 'machine busy', 'others'],
      [...levels, ...run.pacedLevels].map((level) => {
        const per = (ms: number) => fmt(ms / Math.max(1, level.settled), 3);
        const { cpu } = level;
        const answered = level.result.answeredByUrl;
        const eachNode =
          cpu.eachNode.length === answered.length ? cpu.eachNode.map((ms, index) => fmt(ms / Math.max(1, answered[index] ?? 0), 3)).join(' / ') : 'n/a';
        const ours = cpu.nodes + cpu.postgres + cpu.redis + cpu.wallet + cpu.loadgen;
        const share = (ms: number) => `${fmt((100 * ms) / Math.max(1, cpu.machineTotal), 0)}%`;
        return [
          level.label,
          per(cpu.nodes),
          eachNode,
          per(cpu.postgres),
          per(cpu.redis),
          run.walletPid === undefined ? 'n/a' : per(cpu.wallet),
          per(cpu.loadgen),
          per(ours),
          share(cpu.machineBusy),
          share(Math.max(0, cpu.machineBusy - ours)),
        ];
      }),
    ),
  );
  return report;
}

/** The product's own CPU (nodes + Postgres + Redis; not the wallet mock or the load generator) per settled bet of a level. */
export const productCpuPerBet = (level: Level) => (level.cpu.nodes + level.cpu.postgres + level.cpu.redis) / Math.max(1, level.settled);

/** The report's open-loop section (BENCH_RATES, BENCH_RATE_SHARES). */
export function openLoopReport(pacedLevels: PacedLevel[], ceilingTps: number): string[] {
  const report: string[] = [];
  report.push('');
  report.push(
    `open loop (BENCH_RATES, BENCH_RATE_SHARES of the best closed-loop rate): bets sent at a fixed rate over all nodes, answered or not; latency from each request's due time; ` +
      `up to ${PACED_CONNECTIONS_PER_NODE} connections per node:`,
  );
  report.push(
    table(
      ['offered bets/s', 'share of best', 'settled bets/s', 'p50 ms', 'p99 ms', 'won p99 ms', 'lost p99 ms', 'errors', '202s', 'CPU ms per bet', 'product CPU ms per bet', 'machine busy'],
      pacedLevels.map((level) => {
        const { cpu } = level;
        const ours = cpu.nodes + cpu.postgres + cpu.redis + cpu.wallet + cpu.loadgen;
        const p99Of = (state: string) => fmt(percentile(level.result.latenciesByState.get(state) ?? new Float64Array(), 0.99), 1);
        return [
          fmt(level.ratePerS, 0),
          level.share === undefined ? '-' : `${fmt(level.share, 0)} %`,
          fmt(level.settledPerS, 1),
          fmt(level.p50, 2),
          fmt(level.p99, 2),
          p99Of('won'),
          p99Of('lost'),
          String(level.errors),
          String(level.accepted),
          fmt(ours / Math.max(1, level.settled), 3),
          fmt(productCpuPerBet(level), 3),
          `${fmt((100 * cpu.machineBusy) / Math.max(1, cpu.machineTotal), 0)}%`,
        ];
      }),
    ),
  );
  const within = pacedLevels.filter((level) => level.errors === 0 && level.p99 <= P99_TARGET_MS);
  const highest = within.reduce<PacedLevel | undefined>((a, b) => (a && a.ratePerS >= b.ratePerS ? a : b), undefined);
  report.push(
    '("CPU ms per bet" counts every process of the run, the wallet mock and the generator included; "product" only the nodes, Postgres and Redis)',
  );
  report.push(
    highest
      ? `highest offered rate with p99 ≤ ${P99_TARGET_MS} ms and no errors: ${fmt(highest.ratePerS, 0)} bets/s (p99 ${fmt(highest.p99, 2)} ms; ratio to the ceiling ${fmt(highest.settledPerS / ceilingTps, 3)})`
      : `no offered rate measured kept p99 ≤ ${P99_TARGET_MS} ms without errors`,
  );
  return report;
}

/** Non-2xx answers and socket errors of the closed-loop levels, and the top 20 messages the processes logged. */
export function problemsReport(levels: Level[], logged: Map<string, number>): string[] {
  const problemLines = levels.flatMap((level) => [
    ...[...level.result.problems].map(([problem, count]) => `c=${level.result.connections}: non-2xx ${problem} × ${count}`),
    ...[...level.result.errorMessages].map(([message, count]) => `c=${level.result.connections}: socket error "${message}" × ${count}`),
  ]);
  if (!problemLines.length && !logged.size) return [];
  const report = ['', 'problems seen:'];
  for (const line of problemLines) report.push(`  ${line}`);
  for (const [message, count] of [...logged].sort((a, b) => b[1] - a[1]).slice(0, 20)) report.push(`  logged × ${count}  ${message}`);
  return report;
}

/** The SSE figures of the BENCH line: clients connected and p99 of one shape (undefined: the shape did not run). */
export interface SseFigures {
  clients: number;
  p99Ms: number;
}

/**
 * The last line, machine-readable (SPEC §12): the best closed-loop level, then the open-loop
 * and SSE figures (n/a where their level or shape did not run):
 *   BENCH bets_per_s=<n> p50_ms=<n> p99_ms=<n> errors=<n> rss_mb=<n> ceiling_tps=<n> ratio=<n>
 *     half_rate_p99_ms=<n> cpu_ms_per_bet_at_100=<n> sse_fanout_clients=<n> sse_fanout_p99_ms=<n>
 *     sse_player_clients=<n> sse_player_p99_ms=<n>
 */
export function benchLine(levels: Level[], ceilingTps: number, pacedLevels: PacedLevel[], sse: { fanout?: SseFigures; player?: SseFigures }): string {
  const best = bestLevel(levels);
  const rssMax = Math.max(0, ...best.rss.map((value) => value ?? 0));
  const half = pacedLevels.find((level) => level.share === 50);
  const at100 = pacedLevels.find((level) => level.share === undefined && level.ratePerS === 100);
  return (
    `BENCH bets_per_s=${fmt(best.settledPerS, 1)} p50_ms=${fmt(best.p50, 2)} p99_ms=${fmt(best.p99, 2)} errors=${best.errors} ` +
    `rss_mb=${fmt(rssMax, 1)} ceiling_tps=${fmt(ceilingTps, 0)} ratio=${fmt(best.settledPerS / ceilingTps, 3)} ` +
    `half_rate_p99_ms=${fmt(half?.p99, 2)} cpu_ms_per_bet_at_100=${fmt(at100 && productCpuPerBet(at100), 3)} ` +
    `sse_fanout_clients=${sse.fanout?.clients ?? 'n/a'} sse_fanout_p99_ms=${fmt(sse.fanout?.p99Ms, 0)} ` +
    `sse_player_clients=${sse.player?.clients ?? 'n/a'} sse_player_p99_ms=${fmt(sse.player?.p99Ms, 0)}`
  );
}
