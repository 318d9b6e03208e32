import express from 'express';
import { z } from 'zod';
import { queuePartitionsOf, redisClusterNodes, redisTargetOf } from '../src/config/redis-target.ts';
import { createQueueBoard } from './board.ts';

// `npm run bull-board`: Bull Board alone, against any Redis (REDIS_URL or
// REDIS_CLUSTER_NODES, REDIS_PREFIX and QUEUE_PARTITIONS of the deployment to inspect). It has no auth of its own: it binds to 127.0.0.1 only.
const env = z
  .object({
    REDIS_URL: z.url().optional(),
    REDIS_CLUSTER_NODES: redisClusterNodes.optional(),
    QUEUE_PARTITIONS: z.coerce.number().int().min(1).max(64).optional(),
    REDIS_PREFIX: z.string().default('rgs:'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3100),
  })
  .parse(process.env);

const board = createQueueBoard({ redis: redisTargetOf(env), redisPrefix: env.REDIS_PREFIX, partitions: queuePartitionsOf(env) }, '/');
const app = express();
app.use('/', board.router);
const server = app.listen(env.PORT, '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ msg: 'bull-board listening', port: typeof address === 'object' && address ? address.port : env.PORT }));
});
const stop = () => server.close(() => void board.close().then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
