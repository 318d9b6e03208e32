import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDb } from '../src/shared/db.ts';
import { startChaosCluster, type ChaosCluster } from './cluster.ts';
import type { ChaosConfig } from './config.ts';
import { conduct, setWalletFaults } from './conductor.ts';
import { drain } from './drain.ts';
import { createHttpTally } from './http.ts';
import { checkInvariants, type ChaosFigures } from './invariants.ts';
import { startLoad } from './load.ts';
import { startOutcomeSpy } from './outcome-spy.ts';
import { setUpOperators, START_BALANCE, type ChaosOperator } from './operators.ts';
import { seededRandom } from './random.ts';
import { chaosSchedule } from './schedule.ts';
import { startSseFollower, type SseFollower } from './sse-follower.ts';
import { startStreamRecorder, type StreamRecorder } from './stream-recorder.ts';
import { summaryLine } from './summary.ts';

// One chaos run (docs/chaos.md): start → operators, players, SSE clients → load under
// wallet faults while the schedule kills nodes and restarts Redis → faults off → drain →
// invariants → one summary line. Whatever it started is stopped and dropped at the end,
// except the log directory of a failed run (and everything with CHAOS_KEEP=1).

export interface ChaosOutcome {
  ok: boolean;
  failures: string[];
  summary: string;
  figures: ChaosFigures;
  logDir: string;
}

export interface ChaosRun {
  outcome: Promise<ChaosOutcome>;
  /** Stops everything the run started (for a watchdog or Ctrl-C); the outcome then rejects. */
  abort(): Promise<void>;
}

export function startChaosRun(config: ChaosConfig, log: (line: string) => void): ChaosRun {
  const runId = randomBytes(4).toString('hex');
  const logDir = mkdtempSync(path.join(os.tmpdir(), `rgs-chaos-${runId}-`));
  let teardown: ChaosCluster['teardown'] | undefined;
  let aborted = false;
  const receivers: ChaosOperator['receiver'][] = [];
  const followers: SseFollower[] = [];
  let recorder: StreamRecorder | undefined;

  async function cleanUp(keep: boolean): Promise<void> {
    await recorder?.stop();
    await Promise.all(followers.map((follower) => follower.stop()));
    await Promise.all(receivers.map((receiver) => receiver.close()));
    const problems = (await teardown?.({ dropDatabase: !keep })) ?? [];
    for (const problem of problems) log(`teardown: ${problem}`);
  }

  async function run(): Promise<ChaosOutcome> {
    const startedAt = Date.now();
    log(`run ${runId}, seed ${config.seed}: ${config.bets} bets, ${config.nodes} nodes, ${config.players} players per operator, logs in ${logDir}`);
    const cluster = await startChaosCluster({
      runId,
      nodes: config.nodes,
      logDir,
      logLevel: config.logLevel,
      postgresAdminUrl: config.postgresAdminUrl,
      walletStartBalance: START_BALANCE,
      redisCluster: config.redisCluster,
      onCreated: (created) => (teardown = created),
    });
    log(`cluster up: database ${cluster.databaseName}, redis ${cluster.redisDescription}, wallet ${cluster.walletUrl}, nodes ${cluster.nodeUrls().join(' ')}`);
    const tally = createHttpTally();
    const operators = await setUpOperators({ cluster, runId, playersPerOperator: config.players, seed: config.seed, tally });
    receivers.push(...operators.map((operator) => operator.receiver));
    // Before the first bet, so it sees every entry of the run from the streams' start.
    recorder = startStreamRecorder({ target: cluster.redisTarget, prefix: cluster.redisPrefix, operatorIds: operators.map((operator) => operator.id) });
    for (const operator of operators) {
      for (let n = 0; n < config.sseClients; n++) {
        followers.push(startSseFollower({ name: `op${operator.index}-sse${n}`, operatorId: operator.id, apiKey: operator.apiKey, nodeUrls: cluster.nodeUrls, seed: config.seed, tally }));
      }
    }
    // Connected before the first bet, so every event of the run is theirs to receive.
    const connectBy = Date.now() + 20_000;
    while (followers.some((follower) => follower.connections === 0) && Date.now() < connectBy) await sleep(50);

    const rates = {
      errorRate: config.faults.errorRate,
      timeoutRate: config.faults.timeoutRate,
      lostResponseRate: config.faults.lostResponseRate,
      refuseRetryRate: config.adversary?.refuseRetryRate ?? 0,
    };
    // The adversarial wallet looks every held debit's bet up, from the first bet to the
    // end of the drain (retried debits are held then too).
    if (config.adversary) {
      await startOutcomeSpy(cluster.walletUrl, cluster.nodeUrls(), operators);
      log(`adversary: retries of debits and credits refused with a 4xx at rate ${config.adversary.refuseRetryRate}; the wallet looks up every bet whose debit it holds`);
    }
    await setWalletFaults(cluster.walletUrl, rates, { debit: 0, credit: 0, rollback: 0 }, seededRandom(config.seed, 'faults').seed());
    const schedule = chaosSchedule({
      seed: config.seed,
      bets: config.bets,
      nodes: config.nodes,
      kills: config.kills,
      sigterms: config.sigterms,
      // On a cluster the one Redis restart becomes a master's failover.
      redisRestarts: config.redisCluster ? 0 : config.redisRestarts,
      redisFailovers: config.redisCluster ? 1 : 0,
      followers: followers.length,
      maxLatencyMs: config.faults.maxLatencyMs,
    });

    const loadStartedAt = Date.now();
    const load = startLoad({ bets: config.bets, concurrency: config.concurrency, seed: config.seed, runId, operators, nodeUrls: cluster.nodeUrls, tally });
    let loadFinished = false;
    const progress = setInterval(() => {
      const seconds = (Date.now() - loadStartedAt) / 1000;
      log(`load: ${load.started}/${config.bets} bets started (${(load.started / seconds).toFixed(1)}/s), 5xx ${tally.http5xx}, connection errors ${tally.connectionErrors}`);
    }, 10_000);
    const conducted = conduct({ schedule, load, loadFinished: () => loadFinished, cluster, followers, operators, rates, log });
    const loadResult = await load.done.finally(() => (loadFinished = true));
    const loadSeconds = (Date.now() - loadStartedAt) / 1000;
    const conductor = await conducted;
    clearInterval(progress);
    log(`load done: ${loadResult.bets.size} bets in ${loadSeconds.toFixed(0)} s (${(loadResult.bets.size / loadSeconds).toFixed(1)}/s); ${conductor.kills} kills, ${conductor.sigterms} SIGTERMs, ${conductor.redisRestarts} Redis restarts, ${conductor.redisMasterKills} Redis masters killed`);

    await setWalletFaults(cluster.walletUrl, undefined, { debit: 0, credit: 0, rollback: 0 }, 0);
    // Dropping the database at teardown ends idle connections: MikroORM's pool takes such an
    // error as a closed connection, not a reason to crash.
    const db = await openDb(cluster.databaseUrl, 3);
    try {
      const drained = await drain({ db, operators, followers, recorder, nodeUrls: cluster.nodeUrls, boundMs: config.drainSeconds * 1000, log });
      log(`drain: ${(drained.ms / 1000).toFixed(0)} s; ${drained.forcedCredits} parked credits forced through POST /outbox/:id/retry`);
      await Promise.all(followers.map((follower) => follower.stop()));
      const { figures, failures } = await checkInvariants({ db, cluster, operators, followers, recorder, load: loadResult, tally, conductor, drained: drained.state, adversary: config.adversary !== null });
      await recorder.stop();
      if (config.redisCluster) log(`redis failover: ${figures.redisFailovers} replicas promoted; ${figures.streamEntriesLost} stream entries read from a dead master that the new one lacked (their events appended again)`);
      const ok = failures.length === 0;
      const summary = summaryLine({
        seed: config.seed,
        adversary: config.adversary !== null,
        figures,
        conductor,
        tally,
        drainSeconds: Math.round(drained.ms / 1000),
        seconds: Math.round((Date.now() - startedAt) / 1000),
        ok,
      });
      log(`answers: ${JSON.stringify(Object.fromEntries([...tally.answers].sort()))}`);
      return { ok, failures, summary, figures, logDir };
    } finally {
      await db.end();
    }
  }

  const outcome = run().then(
    async (result) => {
      await cleanUp(config.keep);
      if (result.ok && !config.keep) rmSync(logDir, { recursive: true, force: true });
      return result;
    },
    async (error: unknown) => {
      if (!aborted) await cleanUp(config.keep);
      throw error;
    },
  );
  return {
    outcome,
    async abort() {
      aborted = true;
      await cleanUp(config.keep);
    },
  };
}
