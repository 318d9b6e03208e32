import { UnrecoverableError, Worker } from 'bullmq';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { queueTelemetry } from '../src/telemetry/queues.ts';
import { settlesWithin } from '../src/shared/with-timeout.ts';
import { jobCatalog, JOB_NAMES, type JobName, type JobPayload } from './catalog.ts';
import { bullPrefix, createBullConnection, type QueueSettings } from './connection.ts';

/** What a job runs with besides its payload. */
export interface JobContext {
  /** The job's unit of work: its own fork of the EntityManager, made on first use. */
  readonly em: EntityManager;
}

export type Processors = { [Name in JobName]: (payload: JobPayload<Name>, context: JobContext) => Promise<void> };

/**
 * One BullMQ worker per queue and partition (a node with RGS_ROLES including `workers`
 * consumes every partition; `concurrency` is shared out among a queue's partitions). A payload that
 * does not parse can never succeed: UnrecoverableError fails it at once instead of retrying.
 * Jobs left active by a killed node are stalled and picked up again by another worker.
 * Each job has a unit of work of its own (`context.em`, a fork of `orm`'s EntityManager,
 * made when first used; not MikroORM's RequestContext, see src/http/unit-of-work.ts).
 */
export function startWorkers(
  settings: QueueSettings & { concurrency: number; logger: Logger; orm: MikroORM; processors: Processors },
): { close(budgetMs: number): Promise<void> } {
  const perPartition = Math.max(1, Math.ceil(settings.concurrency / settings.partitions));
  /** The jobs this node is running: shutdown waits for them even if BullMQ's close does not return. */
  const inFlight = new Set<Promise<void>>();
  const queues = JOB_NAMES.flatMap((name) => Array.from({ length: settings.partitions }, (_, partition) => ({ name, partition })));
  const workers = queues.map(({ name, partition }) => {
    const worker = new Worker(
      jobCatalog[name].queue,
      async (job) => {
        const parsed = jobCatalog[name].payload.safeParse(job.data);
        if (!parsed.success) throw new UnrecoverableError(`invalid ${name} payload: ${parsed.error.message}`);
        const processJob = settings.processors[name] as (payload: JobPayload<typeof name>, context: JobContext) => Promise<void>;
        let fork: EntityManager | undefined;
        const running = processJob(parsed.data, {
          get em() {
            return (fork ??= settings.orm.em.fork());
          },
        });
        inFlight.add(running);
        try {
          await running;
        } finally {
          inFlight.delete(running);
        }
      },
      {
        connection: createBullConnection(settings, `worker-${name}-p${partition}`),
        prefix: bullPrefix(settings, partition),
        telemetry: queueTelemetry,
        concurrency: perPartition,
        // A killed node's active jobs are retried after the lock expires.
        lockDuration: 30_000,
        stalledInterval: 15_000,
        maxStalledCount: 1_000,
      },
    );
    worker.on('failed', (job, error) => settings.logger.warn({ err: error, jobId: job?.id, queue: name, partition }, 'job attempt failed'));
    worker.on('error', (error) => settings.logger.warn({ err: error, queue: name, partition }, 'worker error'));
    return worker;
  });
  return {
    /**
     * Lets running jobs finish (SPEC §2 graceful shutdown), then closes the workers'
     * connections, for at most `budgetMs`. On a Redis Cluster whose master just failed
     * over, BullMQ's close can wait forever for its blocking connection to end (chaos
     * --redis-cluster saw nodes miss the shutdown deadline in "queue workers"). Past the
     * budget the connections are left to the process exit: the jobs themselves have
     * finished by then (each is bounded by the wallet timeout), and one whose completion
     * did not reach Redis is stalled and run again by another node, as after a kill.
     */
    async close(budgetMs: number) {
      const closing = Promise.all(workers.map((worker) => worker.close()));
      if (await settlesWithin(closing, budgetMs)) return;
      await Promise.allSettled(inFlight);
      settings.logger.warn({ budgetMs }, 'queue workers: their connections did not close within the budget; leaving them to the exit');
    },
  };
}
