import { setTimeout as sleep } from 'node:timers/promises';
import { streamKey } from '../src/modules/events/stream-append.ts';
import type { ChaosCluster } from './cluster.ts';
import { requestJson } from './http.ts';
import type { Load } from './load.ts';
import type { ChaosOperator } from './operators.ts';
import type { ScheduledAction } from './schedule.ts';
import type { SseFollower } from './sse-follower.ts';

// Plays the schedule against the running cluster, one disruption at a time, each when the
// load has started its bet. What it did is counted for the summary; a SIGTERMed node's
// exit is kept for the §2 check (exit 0 within 15 s).

export interface WalletFaultRates {
  errorRate: number;
  timeoutRate: number;
  lostResponseRate: number;
  /** The adversary's: retries of debits and credits refused with a 4xx (rollbacks keep 0). */
  refuseRetryRate: number;
}

export interface ConductorReport {
  kills: number;
  sigterms: number;
  redisRestarts: number;
  /** Masters of the Redis Cluster killed (--redis-cluster); the promotions are counted from the cluster. */
  redisMasterKills: number;
  /** Every SIGTERM: the node, its exit and how long it took to stop. */
  sigtermExits: { node: string; exit: number | string; stopMs: number }[];
  /** Disruptions that could not be carried out (a node that did not come back). */
  problems: string[];
}

/** SPEC §6 PUT /__faults: the same rates on every operation, each with its own latency; refused retries on debits and credits only. */
export async function setWalletFaults(
  walletUrl: string,
  rates: WalletFaultRates | undefined,
  latencyMs: { debit: number; credit: number; rollback: number },
  seed: number,
): Promise<void> {
  // The option is left out when 0, so a run without the adversary sends what it always did.
  const retries = (refuseRetryRate: number) => (refuseRetryRate > 0 ? { refuseRetryRate } : {});
  const body = rates
    ? {
        seed,
        debit: { errorRate: rates.errorRate, timeoutRate: rates.timeoutRate, lostResponseRate: rates.lostResponseRate, ...retries(rates.refuseRetryRate), latencyMs: latencyMs.debit },
        credit: { errorRate: rates.errorRate, timeoutRate: rates.timeoutRate, lostResponseRate: rates.lostResponseRate, ...retries(rates.refuseRetryRate), latencyMs: latencyMs.credit },
        rollback: { errorRate: rates.errorRate, timeoutRate: rates.timeoutRate, lostResponseRate: rates.lostResponseRate, latencyMs: latencyMs.rollback },
      }
    : {};
  const answer = await requestJson('PUT', `${walletUrl}/__faults`, { body });
  if (answer.status !== 200) throw new Error(`wallet faults not set: ${answer.status} ${JSON.stringify(answer.body)}`);
}

export async function conduct(options: {
  schedule: ScheduledAction[];
  load: Load;
  loadFinished: () => boolean;
  cluster: ChaosCluster;
  followers: SseFollower[];
  operators: ChaosOperator[];
  rates: WalletFaultRates;
  log: (line: string) => void;
}): Promise<ConductorReport> {
  const { cluster, log } = options;
  const report: ConductorReport = { kills: 0, sigterms: 0, redisRestarts: 0, redisMasterKills: 0, sigtermExits: [], problems: [] };
  // A node coming back takes seconds (tens on a busy machine): the schedule goes on
  // meanwhile, so the next disruption meets a cluster that is still recovering. A slot is
  // never hit again before it is back, and the last node up is never taken down.
  const restarting = new Map<number, Promise<void>>();
  const restartNode = async (slot: number, signal: 'SIGKILL' | 'SIGTERM', downMs: number) => {
    await restarting.get(slot);
    while (restarting.size >= cluster.nodes.length - 1) await Promise.race(restarting.values());
    const name = cluster.nodes[slot]!.name;
    log(`bet ${options.load.started}: ${signal} ${name}`);
    const signalledAt = Date.now();
    const restart = cluster.restartNode(slot, signal, downMs).then(
      ({ exit, stopMs }) => {
        if (signal === 'SIGKILL') report.kills += 1;
        else {
          report.sigterms += 1;
          report.sigtermExits.push({ node: name, exit, stopMs });
        }
        const backAfter = ((Date.now() - signalledAt) / 1000).toFixed(1);
        log(`bet ${options.load.started}: ${name} stopped (${exit}) ${stopMs} ms after ${signal}; ${cluster.nodes[slot]!.name} serving ${backAfter} s after the signal`);
      },
      (error: unknown) => {
        report.problems.push(`restarting ${name} after ${signal}: ${(error as Error).message}`);
      },
    );
    restarting.set(
      slot,
      restart.finally(() => restarting.delete(slot)),
    );
  };

  for (const { atBet, action } of options.schedule) {
    while (options.load.started < atBet && !options.loadFinished()) await sleep(20);
    switch (action.kind) {
      case 'sigkill':
        await restartNode(action.slot, 'SIGKILL', action.downMs);
        break;
      case 'sigterm':
        await restartNode(action.slot, 'SIGTERM', action.downMs);
        break;
      case 'redis-restart':
        log(`bet ${options.load.started}: restarting Redis (it comes back empty)`);
        try {
          await cluster.restartRedis(action.downMs);
          report.redisRestarts += 1;
          log(`bet ${options.load.started}: Redis up again after ${action.downMs} ms down`);
        } catch (error) {
          report.problems.push(`restarting Redis: ${(error as Error).message}`);
        }
        break;
      case 'redis-failover': {
        // Nodes that are starting check that every Redis node answers: none is mid-start
        // while a master is down, and none is taken down before the killed one is back.
        await Promise.all(restarting.values());
        const stream = streamKey(options.operators[0]!.id);
        log(`bet ${options.load.started}: killing the Redis master of operator 0's stream`);
        try {
          await cluster.redisFailovers!.failOver(`${cluster.redisPrefix}${stream}`, (line) => log(`bet ${options.load.started}: ${line}`));
          report.redisMasterKills += 1;
        } catch (error) {
          report.problems.push(`failing over Redis: ${(error as Error).message}`);
        }
        break;
      }
      case 'wallet-latency':
        await setWalletFaults(cluster.walletUrl, options.rates, action.latencyMs, action.faultSeed);
        break;
      case 'sse-cut':
        options.followers[action.follower]?.cut();
        break;
      case 'webhook-outage':
        options.operators[action.operator]?.receiver.failFirst(action.failures);
        break;
    }
  }
  await Promise.all(restarting.values());
  return report;
}
