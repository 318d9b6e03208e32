import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCeiling, type Ceiling } from './ceiling.ts';
import { runClosedLoopLevels } from './closed-loop-levels.ts';
import { startOwnCluster, targetFromEnv, type BenchTarget } from './cluster.ts';
import { config, log, pause, runId, secondsSinceStart, type Failures } from './config.ts';
import { profileReport, summariseRunProfiles } from './cpu-profiles.ts';
import { measureIdleCost } from './idle-phase.ts';
import { countsReport, startCostCounter, type CostCounter, type CountsDelta } from './costs.ts';
import { checkLedger } from './ledger-checks.ts';
import { runLevel } from './load.ts';
import { runOpenLoopLevels } from './open-loop-levels.ts';
import { createOperator, launchSessions } from './operator-setup.ts';
import { dbStats, openProductDb } from './postgres-stats.ts';
import { countLoggedProblems } from './process-logs.ts';
import { benchLine, bestLevel, levelsReport, openLoopReport, problemsReport } from './report.ts';
import { runSsePhase, sseCaps, sseFigures, sseReport, type SsePhase } from './sse-phase.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';
import { drainWebhooks } from './webhooks-phase.ts';

// `npm run bench` (SPEC §12): settled bets/s, p50/p99 of POST /bets, errors and RSS of a
// 2-node cluster under load at several concurrencies, next to the machine's ceiling
// measured in the same run. The last line is machine-readable:
//   BENCH bets_per_s=<n> p50_ms=<n> p99_ms=<n> errors=<n> rss_mb=<n> ceiling_tps=<n> ratio=<n>
//     half_rate_p99_ms=<n> cpu_ms_per_bet_at_100=<n> sse_fanout_clients=<n> sse_fanout_p99_ms=<n>
//     sse_player_clients=<n> sse_player_p99_ms=<n>
// (one line; report.ts). Environment: BENCH_DURATION (s, 10), BENCH_CONCURRENCIES (8,16,32,64), BENCH_WARMUP
// (s, 3), BENCH_PLAYERS (2000), BENCH_PROFILE=1 (BENCH_PROFILE_DIR keeps the profiles), BENCH_CEILING_RUNS (2: before and after
// the load), BENCH_MAX_SECONDS (600), BENCH_FAIL_ON_ERRORS=1, CEILING_SCRIPT; to target a
// running cluster: BENCH_TARGET_URLS, BENCH_WALLET_URL, BENCH_ADMIN_TOKEN, BENCH_ADMIN_URL,
// BENCH_WALLET_SECRET, BENCH_DATABASE_URL, BENCH_TARGET_PIDS. The SSE section (bench/sse.ts,
// after the levels): BENCH_SSE=0 skips it, BENCH_SSE_SHAPES (fanout,player,spread; sse-phase.ts),
// BENCH_SSE_CLIENTS (fanout, 2000), BENCH_SSE_PLAYER_CLIENTS (player and spread, 10000),
// BENCH_SSE_SAMPLE (fanout, 200), BENCH_SSE_DURATION (s, 10), BENCH_SSE_RATE (bets/s offered, 50),
// BENCH_SSE_PLAYER_FILTER=1 (= BENCH_SSE_SHAPES=player). BENCH_NODE_ROOTS=<checkout>,<checkout>
// runs each node from its own checkout, to compare two versions under one load (cluster.ts).
// Open-loop levels follow the closed-loop ones (bench/paced.ts): BENCH_RATES=<bets/s>,… (100)
// and BENCH_RATE_SHARES=<% of the best closed-loop rate>,… (25,50,75); empty: none.
// BENCH_WEBHOOKS=1 gives the operator a webhook receiver (bench/webhook-receiver.ts).
// BENCH_COUNTS=1 counts statements, commits, rows, wallet calls, Redis commands and syscalls
// per bet of each open-loop level and per second at idle (bench/costs.ts; BENCH_PG_LOG).

let teardown: BenchTarget['teardown'] | undefined;
let tornDown: Promise<string[]> | undefined;
const tearDownOnce = () => (tornDown ??= teardown ? teardown(log) : Promise.resolve([]));
let profileDir: string | undefined;

let aborting = false;

async function abort(reason: string, code: number): Promise<never> {
  aborting = true;
  console.error(`bench: ${reason}; stopping everything it started`);
  const problems = await tearDownOnce().catch((error: Error) => [error.message]);
  for (const problem of problems) console.error(`bench: ${problem}`);
  if (profileDir && !config.keepProfiles) rmSync(profileDir, { recursive: true, force: true });
  process.exit(code);
}

const watchdog = setTimeout(() => void abort(`still running after BENCH_MAX_SECONDS=${config.maxSeconds}`, 1), config.maxSeconds * 1000);
watchdog.unref();
process.once('SIGINT', () => void abort('interrupted', 130));
process.once('SIGTERM', () => void abort('terminated', 143));

/** BENCH_WEBHOOKS=1: an HTTPS receiver the bench's nodes trust (they inherit NODE_EXTRA_CA_CERTS). */
async function startReceiver(targeted: boolean): Promise<WebhookReceiver | undefined> {
  if (!config.webhooks) return undefined;
  if (targeted) throw new Error('BENCH_WEBHOOKS needs the bench\'s own cluster (its nodes must trust the receiver\'s certificate)');
  const receiver = await startWebhookReceiver();
  // The nodes inherit the bench's environment (processes.ts).
  process.env.NODE_EXTRA_CA_CERTS = receiver.caFile;
  log(`webhook receiver at ${receiver.url}`);
  return receiver;
}

async function main(): Promise<number> {
  const failures: Failures = [];
  const targeted = targetFromEnv();
  if (config.profile) profileDir = config.keepProfiles ? path.resolve(config.keepProfiles, runId) : mkdtempSync(path.join(os.tmpdir(), 'rgs-bench-prof-'));
  log(
    `run ${runId}: ${targeted ? `targeting ${targeted.nodeUrls.join(', ')}` : 'own 2-node cluster'}; concurrencies ${config.concurrencies.join(',')} × ${config.durationS} s` +
      `${config.profile ? `; CPU profiles in ${profileDir}` : ''}`,
  );
  // The ceiling first, with nothing of ours running: idle RGS nodes are not free (their
  // timers poll Postgres and Redis), and they would lower the machine's number.
  const ceilings: Ceiling[] = [];
  log(`ceiling run 1 of ${config.ceilingRuns} (before anything of the benchmark runs)`);
  ceilings.push(await runCeiling(log));

  const receiver = await startReceiver(targeted !== undefined);
  const target =
    targeted ??
    (await startOwnCluster({
      runId,
      nodeCount: 2,
      profileDir,
      log,
      onCreated: (undo) => (teardown = undo),
      // The SSE phase opens up to 10,000 streams of one operator on one node: over SPEC §7's
      // default caps (100 per operator), so they are raised to fit it.
      nodeEnv: sseCaps(),
    }));
  const nodeNames = target.nodes.length ? target.nodes.map((node) => node.name) : target.nodeUrls.map((_, index) => `node-${String.fromCharCode(97 + index)}`);
  // A node that dies during the run makes the run fail (and is reported at once).
  let stoppingNodes = false;
  for (const node of target.nodes) {
    void node.exited.then((exit) => {
      if (!stoppingNodes && !aborting) {
        failures.push(`${node.name} exited (${exit}) during the run`);
        log(`!! ${node.name} exited (${exit}) during the run; last log lines:\n${node.logs.slice(-20).join('\n')}`);
      }
    });
  }

  const operator = await createOperator(target, receiver?.url);
  const playerPrefix = `bench-${runId}-p`;
  const launchStart = Date.now();
  const tokens = await launchSessions(target, operator.apiKey, playerPrefix);
  log(`operator ${operator.id}: ${tokens.length} sessions launched in ${((Date.now() - launchStart) / 1000).toFixed(1)} s`);

  const counter: CostCounter | undefined = config.counts ? startCostCounter(target) : undefined;
  const idleLine = await measureIdleCost(target);
  let idleCounts: CountsDelta | undefined;
  if (counter) {
    // After the idle phase pg_stat_database is up to date; what idle timers do over one settling period.
    const idleBefore = await counter.sample();
    await counter.settle();
    idleCounts = counter.delta(idleBefore, await counter.sample());
  }

  const productDb = await openProductDb(target.databaseUrl);
  const before = target.databaseName ? await dbStats(target.databaseName) : undefined;

  const keyPrefix = `bench-${runId}`;
  log(`warm-up: 16 connections × ${config.warmupS} s (not reported)`);
  await runLevel({ urls: target.nodeUrls, connections: 16, durationS: config.warmupS, apiKey: operator.apiKey, tokens, keyPrefix: `${keyPrefix}-warm` });
  // Fresh tables: let the planner see the rows the warm-up wrote (autovacuum would, later).
  if (productDb) await productDb.query('ANALYZE');
  await pause(1_000);

  const { levels, loadStart, loadEnd, nodesCpuMs } = await runClosedLoopLevels(target, operator, tokens, keyPrefix);
  const pacedLevels = await runOpenLoopLevels(target, operator, tokens, keyPrefix, bestLevel(levels).settledPerS, counter);
  counter?.close();
  let ssePhase: SsePhase | undefined;
  if (config.sse && config.sseShapes.length) {
    ssePhase = await runSsePhase({ target, targeted: targeted !== undefined, nodeNames, operator, tokens, playerPrefix, keyPrefix, productDb, failures });
  }
  const webhookLine = receiver && productDb ? await drainWebhooks({ productDb, receiver, operatorId: operator.id, failures }) : '';

  const totalSettled = [...levels, ...pacedLevels].reduce((sum, level) => sum + level.settled, 0);
  const { dbLine, commitLine } = await checkLedger({
    target,
    operator,
    playerPrefix,
    totalSettled,
    productDb,
    before,
    stoppingNodes: () => (stoppingNodes = true),
    failures,
  });

  stoppingNodes = true;
  const problems = await tearDownOnce();
  await receiver?.close();
  failures.push(...problems);
  const logged = countLoggedProblems([...target.nodes, ...(target.wallet ? [target.wallet] : [])]);

  if (config.ceilingRuns > 1) {
    log('ceiling run 2 of 2 (after the load)');
    ceilings.push(await runCeiling(log));
  }
  const ceilingTps = ceilings.reduce((sum, ceiling) => sum + ceiling.tps, 0) / ceilings.length;
  const profile = profileDir ? summariseRunProfiles({ profileDir, target, loadStart, loadEnd, failures }) : undefined;

  // ---- report (stdout) ----
  const report = levelsReport({ runId, nodeUrls: target.nodeUrls, nodeNames, ceilings, ceilingTps, levels, pacedLevels, walletPid: target.wallet?.pid });
  if (pacedLevels.length) report.push(...openLoopReport(pacedLevels, ceilingTps));
  if (counter) report.push(...countsReport(nodeNames, idleCounts, pacedLevels.flatMap((level) => (level.counts ? [{ label: level.label, counts: level.counts }] : []))));
  if (ssePhase) report.push(...sseReport(ssePhase));
  report.push('');
  report.push(dbLine);
  if (webhookLine) report.push(webhookLine);
  if (commitLine) report.push(commitLine);
  report.push(idleLine);
  if (target.cleanup.redisKeys !== undefined) {
    report.push(`redis: ${target.cleanup.redisKeys} keys under the run's prefix at the end (deleted)`);
  }
  report.push(...problemsReport(levels, logged));
  if (profile) report.push(...profileReport(profile, nodesCpuMs, profileDir!));
  if (config.failOnErrors && [...levels, ...pacedLevels].some((level) => level.errors > 0)) failures.push('errors during the load (BENCH_FAIL_ON_ERRORS=1)');
  if (failures.length) {
    report.push('');
    report.push('FAILED:');
    for (const failure of failures) report.push(`  ${failure}`);
  }
  report.push('');
  report.push(benchLine(levels, ceilingTps, pacedLevels, { fanout: sseFigures(ssePhase, 'fanout'), player: sseFigures(ssePhase, 'player') }));
  log(`done in ${secondsSinceStart().toFixed(0)} s`);
  console.log(report.join('\n'));
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => void abort(`failed: ${error.stack ?? error.message}`, 1),
);
