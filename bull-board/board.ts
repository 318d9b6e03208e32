import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Queue } from 'bullmq';
import type { Router } from 'express';
import { jobCatalog, JOB_NAMES } from '../queues/catalog.ts';
import { bullPrefix, createBullConnection, type QueueSettings } from '../queues/connection.ts';

/** Bull Board over every queue of the job catalog, served under `basePath`. */
export function createQueueBoard(settings: QueueSettings, basePath: string): { router: Router; close(): Promise<void> } {
  const connection = createBullConnection(settings, 'bull-board');
  const partitions = Array.from({ length: settings.partitions }, (_, partition) => partition);
  const queues = JOB_NAMES.flatMap((name) => partitions.map((partition) => ({ partition, queue: new Queue(jobCatalog[name].queue, { connection, prefix: bullPrefix(settings, partition) }) })));
  const serverAdapter = new ExpressAdapter().setBasePath(basePath);
  // Partitioned queues share their names: the board tells them apart as `p<i>:<name>`.
  const adapters = queues.map(({ partition, queue }) => new BullMQAdapter(queue, { prefix: settings.partitions > 1 ? `p${partition}:` : '' }));
  createBullBoard({ queues: adapters, serverAdapter });
  return {
    router: serverAdapter.getRouter() as Router,
    async close() {
      await Promise.all(queues.map(({ queue }) => queue.close()));
      connection.disconnect();
    },
  };
}
