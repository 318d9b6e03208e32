import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisTarget } from '../../config/redis-target.ts';
import { connectRedis } from '../../shared/redis.ts';
import { parseEntries, type StreamEntry } from './entries.ts';
import { historyLost, readHistoryPage, readStreamInfo } from './history.ts';
import { sseReaders } from './metrics.ts';
import { compareIds, ZERO_ID, type StreamId } from './stream-id.ts';

const READ_COUNT = 500;
const FAN_OUT_WINDOW_MS = 25;
const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 5_000;

export interface OperatorReader {
  /** Settles once the reader knows where the stream ends: entries after that reach `onEntries`. */
  ready: Promise<void>;
  stop(): void;
}

export interface OperatorReaderOptions {
  operatorId: string;
  /** The stream's key before the connection's keyPrefix. */
  key: string;
  redis: RedisTarget;
  redisPrefix: string;
  logger: Logger;
  blockMs: number;
  onEntries(entries: StreamEntry[]): void;
  /** The stream lost entries this reader had not read yet; `restarted` when its ids started over. */
  onHistoryLost(restarted: boolean): void;
}

/**
 * The one reader of an operator's stream on this node (SPEC §7: a node reads each stream
 * once and fans out in process). It owns a Redis connection of its own, because
 * XREAD BLOCK holds it, and follows the stream from its last id at start, so no entry
 * appended after the first client joined is missed. Redis errors are logged and retried
 * with backoff; clients stay connected meanwhile.
 */
export function startOperatorReader(options: OperatorReaderOptions): OperatorReader {
  const { key, logger } = options;
  const redis = connectRedis(options.redis, {
    keyPrefix: options.redisPrefix,
    // Named so operators (and tests) can count readers in CLIENT LIST.
    connectionName: `${options.redisPrefix}sse-reader:${options.operatorId}`,
  });
  redis.on('error', () => undefined);
  sseReaders.inc();

  let stopped = false;
  let mustVerify = false;
  // ioredis re-sends a blocked XREAD cut by a lost connection once it reconnects; the
  // stream may not have survived (Redis restarted), so the loop checks it before trusting
  // what that XREAD returns.
  redis.on('reconnecting', () => (mustVerify = true));
  // On a cluster one node's connection ends without the client reconnecting as a whole: a
  // failover (the stream's master died, its replica took over without the entries it had
  // not replicated yet) shows as a node leaving and another joining the client's pool.
  if (redis instanceof Cluster) {
    redis.on('-node', () => (mustVerify = true));
    redis.on('+node', () => (mustVerify = true));
  }
  let markReady = () => undefined as void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  // After an error or an idle wait: is everything after `position` still in the stream?
  async function verify(position: StreamId): Promise<StreamId> {
    // One MULTI: the markers and whether `position` is still an entry, read together.
    const { info, held } = await readHistoryPage(redis, key, position, 1);
    if (!historyLost(info, position, held)) return position;
    const restarted = !info || compareIds(info.lastGenerated, position) < 0;
    logger.warn({ operatorId: options.operatorId, position: position.text, restarted }, 'stream history lost under live readers');
    options.onHistoryLost(restarted);
    // A stream that started over goes on from its end as it is now: empty after a restart
    // (all of it is new), and after a failover the tail the replica had, so that what the
    // clients get after their stream.reset is what the new master appends.
    return restarted ? (info?.lastGenerated ?? ZERO_ID) : position;
  }

  async function run(): Promise<void> {
    let position: StreamId | undefined;
    let failures = 0;
    while (!stopped) {
      try {
        if (!position) {
          position = (await readStreamInfo(redis, key))?.lastGenerated ?? ZERO_ID;
          markReady();
        } else if (mustVerify) {
          mustVerify = false;
          position = await verify(position);
        }
        const reply = await redis.xread('COUNT', READ_COUNT, 'BLOCK', options.blockMs, 'STREAMS', key, position.text);
        failures = 0;
        // The connection was lost while this XREAD was out, so its answer may come from a
        // Redis that restarted empty: entries after `position` that the old one held and
        // never sent would be skipped without a word. Verify first; an intact stream is
        // simply read again from `position`.
        if (mustVerify) continue;
        const raw = reply?.[0]?.[1];
        if (!raw?.length) {
          mustVerify = true;
          continue;
        }
        const { entries, lastId } = parseEntries(raw, logger);
        if (lastId) position = lastId;
        if (entries.length > 0 && !stopped) options.onEntries(entries);
        // Fan-out costs one socket write per client per batch: on a busy stream, wait a
        // moment so each batch carries more events (thousands of clients per node).
        if (raw.length < READ_COUNT) await sleep(FAN_OUT_WINDOW_MS);
      } catch (error) {
        if (stopped) return;
        failures += 1;
        mustVerify = true;
        logger.warn({ err: error, operatorId: options.operatorId, failures }, 'stream reader failed: retrying');
        await sleep(Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(failures - 1, 10)));
      }
    }
  }

  void run();
  return {
    ready,
    stop() {
      if (stopped) return;
      stopped = true;
      markReady();
      sseReaders.dec();
      redis.disconnect();
    },
  };
}
