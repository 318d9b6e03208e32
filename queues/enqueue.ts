import { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { queueTelemetry } from '../src/telemetry/queues.ts';
import { jobCatalog, JOB_NAMES, type JobName, type JobPayload } from './catalog.ts';
import { bullPrefix, createBullConnection, type QueueSettings } from './connection.ts';
import { partitionOf } from './partitions.ts';

export interface Enqueuer {
  /** Adds a job; a job with the same id (derived from the payload) already queued makes this a no-op. */
  enqueue<Name extends JobName>(name: Name, payload: JobPayload<Name>, options?: { delayMs?: number; tag?: string }): Promise<void>;
  /** Runs a delayed job now (e.g. POST /outbox/:id/retry); adds it if it is not queued. */
  runNow<Name extends JobName>(name: Name, payload: JobPayload<Name>): Promise<void>;
  /** Every queue: each job name's partitions. */
  queues(): Queue[];
  close(): Promise<void>;
}

// While Redis is down every queue reports each failed reconnect: one warning in this long is enough.
const ERROR_LOG_INTERVAL_MS = 10_000;

export function createEnqueuer(settings: QueueSettings, options: { logger?: Pick<Logger, 'warn'> } = {}): Enqueuer {
  const connection = createBullConnection(settings, 'queue-producer');
  const partitions = Array.from({ length: settings.partitions }, (_, partition) => partition);
  const queues = Object.fromEntries(
    JOB_NAMES.map((name) => [
      name,
      partitions.map((partition) => new Queue(jobCatalog[name].queue, { connection, prefix: bullPrefix(settings, partition), telemetry: queueTelemetry })),
    ]),
  ) as Record<JobName, Queue[]>;
  const allQueues = Object.values(queues).flat();
  /** The partition's queue of this job (the same on every node, for every attempt). */
  const queueOf = <Name extends JobName>(name: Name, payload: JobPayload<Name>): Queue =>
    queues[name][partitionOf((jobCatalog[name].partitionKey as (payload: JobPayload<Name>) => string)(payload), settings.partitions)]!;
  // Without a listener a queue's 'error' goes to console.error as a raw stack trace.
  let lastErrorLoggedAt = 0;
  for (const queue of allQueues) {
    queue.on('error', (error) => {
      if (Date.now() - lastErrorLoggedAt < ERROR_LOG_INTERVAL_MS) return;
      lastErrorLoggedAt = Date.now();
      options.logger?.warn({ err: error, queue: queue.name }, 'queue connection error; jobs are enqueued again once Redis is back (sweepers)');
    });
  }

  async function enqueue<Name extends JobName>(name: Name, payload: JobPayload<Name>, options: { delayMs?: number; tag?: string } = {}) {
    const data = jobCatalog[name].payload.parse(payload) as JobPayload<Name>;
    const jobId = (jobCatalog[name].jobId as (payload: JobPayload<Name>) => string)(data);
    await queueOf(name, data).add(name, data, {
      ...jobCatalog[name].options,
      jobId: options.tag ? `${jobId}.${options.tag}` : jobId,
      delay: Math.max(0, Math.round(options.delayMs ?? 0)),
    });
  }

  async function runNow<Name extends JobName>(name: Name, payload: JobPayload<Name>) {
    const job = await queueOf(name, payload).getJob((jobCatalog[name].jobId as (payload: JobPayload<Name>) => string)(payload));
    if (job && (await job.isDelayed())) await job.promote();
    else if (!job) await enqueue(name, payload);
  }

  return {
    enqueue,
    runNow,
    queues: () => allQueues,
    async close() {
      await Promise.all(allQueues.map((queue) => queue.close()));
      connection.disconnect();
    },
  };
}
