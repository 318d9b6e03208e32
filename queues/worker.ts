import { UnrecoverableError, Worker } from 'bullmq';
import { RequestContext, type MikroORM } from '@mikro-orm/core';
import type { Logger } from 'pino';
import { queueTelemetry } from '../src/telemetry/queues.ts';
import { jobCatalog, JOB_NAMES, type JobName, type JobPayload } from './catalog.ts';
import { bullPrefix, createBullConnection, type QueueSettings } from './connection.ts';

export type Processors = { [Name in JobName]: (payload: JobPayload<Name>) => Promise<void> };

/**
 * One BullMQ worker per queue (a node with RGS_ROLES including `workers`). A payload that
 * does not parse can never succeed: UnrecoverableError fails it at once instead of retrying.
 * Jobs left active by a killed node are stalled and picked up again by another worker.
 * Each job runs in a unit of work of its own: a fork of `orm`'s EntityManager
 * (`RequestContext.getEntityManager()`), never the global one.
 */
export function startWorkers(
  settings: QueueSettings & { concurrency: number; logger: Logger; orm: MikroORM; processors: Processors },
): { close(): Promise<void> } {
  const workers = JOB_NAMES.map((name) => {
    const worker = new Worker(
      jobCatalog[name].queue,
      async (job) => {
        const parsed = jobCatalog[name].payload.safeParse(job.data);
        if (!parsed.success) throw new UnrecoverableError(`invalid ${name} payload: ${parsed.error.message}`);
        const processJob = settings.processors[name] as (payload: JobPayload<typeof name>) => Promise<void>;
        await RequestContext.create(settings.orm.em, () => processJob(parsed.data));
      },
      {
        connection: createBullConnection(settings, `worker-${name}`),
        prefix: bullPrefix(settings),
        telemetry: queueTelemetry,
        concurrency: settings.concurrency,
        // A killed node's active jobs are retried after the lock expires.
        lockDuration: 30_000,
        stalledInterval: 15_000,
        maxStalledCount: 1_000,
      },
    );
    worker.on('failed', (job, error) => settings.logger.warn({ err: error, jobId: job?.id, queue: name }, 'job attempt failed'));
    worker.on('error', (error) => settings.logger.warn({ err: error, queue: name }, 'worker error'));
    return worker;
  });
  return {
    async close() {
      // Lets running jobs finish (SPEC §2 graceful shutdown).
      await Promise.all(workers.map((worker) => worker.close()));
    },
  };
}
