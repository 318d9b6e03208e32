import { Queue } from 'bullmq';
import { betStepJobId, jobCatalog, JOB_NAMES, type JobName, type JobPayload } from './catalog.ts';
import { bullPrefix, createBullConnection, type QueueSettings } from './connection.ts';

export interface Enqueuer {
  /** Adds one bet step attempt; a job with the same id already in the queue makes this a no-op. */
  enqueue<Name extends JobName>(name: Name, payload: JobPayload<Name>, options?: { delayMs?: number; tag?: string }): Promise<void>;
  /** Runs a delayed attempt now (POST /outbox/:id/retry); adds it if it is not queued. */
  runNow<Name extends JobName>(name: Name, payload: JobPayload<Name>): Promise<void>;
  queues(): Queue[];
  close(): Promise<void>;
}

export function createEnqueuer(settings: QueueSettings): Enqueuer {
  const connection = createBullConnection(settings, 'queue-producer');
  const queues = Object.fromEntries(
    JOB_NAMES.map((name) => [name, new Queue(jobCatalog[name].queue, { connection, prefix: bullPrefix(settings) })]),
  ) as Record<JobName, Queue>;

  async function enqueue<Name extends JobName>(name: Name, payload: JobPayload<Name>, options: { delayMs?: number; tag?: string } = {}) {
    const data = jobCatalog[name].payload.parse(payload);
    await queues[name].add(name, data, {
      ...jobCatalog[name].options,
      jobId: options.tag ? `${betStepJobId(name, data)}.${options.tag}` : betStepJobId(name, data),
      delay: Math.max(0, Math.round(options.delayMs ?? 0)),
    });
  }

  async function runNow<Name extends JobName>(name: Name, payload: JobPayload<Name>) {
    const job = await queues[name].getJob(betStepJobId(name, payload));
    if (job && (await job.isDelayed())) await job.promote();
    else if (!job) await enqueue(name, payload);
  }

  return {
    enqueue,
    runNow,
    queues: () => Object.values(queues),
    async close() {
      await Promise.all(Object.values(queues).map((queue) => queue.close()));
      connection.disconnect();
    },
  };
}
