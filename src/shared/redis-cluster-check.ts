import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

const ATTEMPT_TIMEOUT_MS = 2_000;
const RETRY_MS = 500;

async function stateOf(node: { host: string; port: number }): Promise<string> {
  const redis = new Redis({ host: node.host, port: node.port, lazyConnect: true, connectTimeout: ATTEMPT_TIMEOUT_MS, commandTimeout: ATTEMPT_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const info = await redis.cluster('INFO');
    const state = /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown';
    return state === 'ok' ? 'ok' : `cluster_state:${state}`;
  } catch (error) {
    return (error as Error).message;
  } finally {
    redis.disconnect();
  }
}

/**
 * Why the cluster cannot be used, or undefined when every node named in
 * REDIS_CLUSTER_NODES answers and says `cluster_state:ok`. Asks again until `waitMs` has
 * passed (nodes starting together with the cluster), so a node that is down at start is
 * reported within that time: a node never runs half-connected to a cluster it was told has
 * a node that is not there (issue #21: a clear error and a non-zero exit).
 */
export async function clusterProblem(nodes: { host: string; port: number }[], waitMs: number): Promise<string | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const states = await Promise.all(nodes.map(stateOf));
    const bad = nodes.map((node, i) => ({ node: `${node.host}:${node.port}`, state: states[i]! })).filter(({ state }) => state !== 'ok');
    if (bad.length === 0) return undefined;
    if (Date.now() + RETRY_MS >= deadline) return bad.map(({ node, state }) => `${node}: ${state}`).join('; ');
    await sleep(RETRY_MS);
  }
}
