import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { DomainError } from '../../shared/errors.ts';
import { settlesWithin } from '../../shared/with-timeout.ts';
import type { RedisTarget } from '../../config/redis-target.ts';
import { createRedis, type RedisClient } from '../../shared/redis.ts';
import { streamKey } from '../events/stream-append.ts';
import { SseConnection, type ConnectionSettings } from './connection.ts';
import { parseEntries } from './entries.ts';
import { OperatorFanOut } from './fan-out.ts';
import type { EventFilter } from './filter.ts';
import { historyLost, readHistoryPage } from './history.ts';
import { sseClientsRefused } from './metrics.ts';
import { startOperatorReader, type OperatorReader } from './reader.ts';
import { compareIds, type StreamId, type StreamResume } from './stream-id.ts';

const REPLAY_PAGE = 500;
const DEFAULT_BLOCK_MS = 5_000;
// How long a new connection waits for its operator's reader to learn where the stream
// ends before answering anyway: a connection that starts live gets what is appended after
// its 200, so the 200 waits for that point, but not through a Redis outage.
const READY_WAIT_MS = 5_000;

export interface StreamHubSettings extends ConnectionSettings {
  redis: RedisTarget;
  redisPrefix: string;
  logger: Logger;
  /** XREAD BLOCK time of each reader; an idle reader re-checks its stream's history this often. */
  blockMs?: number;
  /** Streams one operator may hold open on this node (SSE_MAX_CLIENTS_PER_OPERATOR). */
  maxClientsPerOperator: number;
  /** Streams this node holds open, all operators together (SSE_MAX_CLIENTS). */
  maxClients: number;
  /** History entries one request replays before it ends with `replay_limit` (SSE_MAX_REPLAY). */
  maxReplay: number;
}

export interface StreamRequest {
  /** From authentication, never from the query (SPEC §10.5). */
  operatorId: string;
  resume: StreamResume;
  filter: EventFilter;
}

export interface StreamHub {
  /**
   * Serves one GET /stream response until the client leaves or the hub closes. Rejects
   * only before anything is written, with 429 TOO_MANY_STREAMS when the operator's or the
   * node's streams are at their cap; once the 200 is sent, trouble ends the stream and the
   * client reconnects.
   */
  serve(res: ServerResponse, request: StreamRequest): Promise<void>;
  /** Graceful shutdown: every client gets a last `retry:` hint and its stream ends; readers stop. */
  close(): Promise<void>;
}

interface OperatorFeed {
  reader: OperatorReader;
  connections: OperatorFanOut;
}

/**
 * SPEC §7 SSE on one node: per operator with connected clients, one reader of its Redis
 * Stream fanning out in process; per client, a replay of history after its Last-Event-ID
 * that joins the live feed with no gap and no duplicate. Bounded (SPEC §11): streams per
 * operator and per node are capped, and one request replays at most `maxReplay` entries.
 */
export function createStreamHub(settings: StreamHubSettings): StreamHub {
  const { logger } = settings;
  const fanOuts = new Map<string, OperatorFeed>();
  // Connections joined to a fan-out, all operators together (the node's cap).
  let joined = 0;
  let history: RedisClient | undefined;
  let closing: Promise<void> | undefined;

  // Replays share one ordinary connection, opened on first use (a workers-only node never needs it).
  const historyRedis = () => (history ??= createRedis(settings.redis, settings.redisPrefix, 'sse-history'));

  function join(operatorId: string, connection: SseConnection): Promise<void> {
    let fanOut = fanOuts.get(operatorId);
    if (!fanOut) {
      const connections = new OperatorFanOut();
      // Outside the request that happens to open it: the reader outlives that request, and its
      // blocking reads would otherwise keep adding spans to the request's trace.
      const reader = context.with(ROOT_CONTEXT, () =>
        startOperatorReader({
          operatorId,
          key: streamKey(operatorId),
          redis: settings.redis,
          redisPrefix: settings.redisPrefix,
          logger,
          blockMs: settings.blockMs ?? DEFAULT_BLOCK_MS,
          onEntries: (entries) => connections.deliver(entries),
          onHistoryLost: (restarted) => connections.historyLost(restarted),
        }),
      );
      fanOut = { reader, connections };
      fanOuts.set(operatorId, fanOut);
    }
    fanOut.connections.add(connection);
    joined += 1;
    return fanOut.reader.ready;
  }

  function leave(operatorId: string, connection: SseConnection): void {
    const fanOut = fanOuts.get(operatorId);
    if (!fanOut?.connections.delete(connection)) return;
    joined -= 1;
    if (fanOut.connections.size > 0) return;
    fanOut.reader.stop();
    fanOuts.delete(operatorId);
  }

  /**
   * Replays history after `after`, then goes live. The connection joined the live feed
   * before this started and holds what it gets, so whatever the reader fans out is either
   * held (and sent if past the replay) or was appended before the last page was read.
   */
  async function replay(connection: SseConnection, key: string, after: StreamId): Promise<void> {
    let cursor = after;
    // Entries read from history, filtered out or not: what replay costs the node.
    let budget = settings.maxReplay;
    connection.beginReplay(after);
    for (;;) {
      const count = Math.min(REPLAY_PAGE, budget);
      connection.beginPage();
      const page = await readHistoryPage(historyRedis(), key, cursor, count);
      if (connection.closed) return;
      if (historyLost(page.info, cursor, page.held)) {
        const restarted = !page.info || compareIds(page.info.lastGenerated, cursor) < 0;
        connection.reset('retention');
        connection.goLive(restarted);
        return;
      }
      const { entries, lastId } = parseEntries(page.raw, logger);
      if (lastId) cursor = lastId;
      budget -= page.raw.length;
      await connection.replayPage(entries, lastId);
      if (connection.closed) return;
      // A short page is the end, unless held live entries were let go meanwhile: they
      // may be newer than what that page saw.
      if (page.raw.length < count && !connection.heldDroppedSincePage) break;
      // Any further history is the next request's: `Last-Event-ID: 0-0` on a long stream
      // cannot keep a node replaying, and the reconnection goes to whichever node the
      // load balancer picks.
      if (budget <= 0) {
        connection.replayLimitReached();
        return;
      }
    }
    connection.goLive();
  }

  /** SPEC §7/§11: over a cap, 429 before the stream starts (an EventSource retries it later). */
  function refuseOverCaps(res: ServerResponse, operatorId: string): void {
    const operatorStreams = fanOuts.get(operatorId)?.connections.size ?? 0;
    const reason = operatorStreams >= settings.maxClientsPerOperator ? 'operator_cap' : joined >= settings.maxClients ? 'node_cap' : undefined;
    if (!reason) return;
    sseClientsRefused.inc({ reason });
    const retryAfterSeconds = Math.max(1, Math.ceil(settings.retryMs / 1000));
    res.setHeader('Retry-After', String(retryAfterSeconds));
    const detail =
      reason === 'operator_cap'
        ? `this node serves at most ${settings.maxClientsPerOperator} streams per operator; close one or connect later`
        : `this node serves at most ${settings.maxClients} streams; connect later`;
    throw new DomainError(429, 'TOO_MANY_STREAMS', 'Too many streams', detail, { retryAfterSeconds });
  }

  return {
    async serve(res, request) {
      const { operatorId } = request;
      // Checked and joined without an await in between, so concurrent requests cannot all pass one free place.
      if (!closing) refuseOverCaps(res, operatorId);
      const connection = new SseConnection(res, request.filter, settings, (closed) => leave(operatorId, closed));
      if (closing) {
        connection.shutdown();
        return;
      }
      // Join first: from here on, nothing the reader fans out passes this client by.
      const ready = join(operatorId, connection);
      if (!(await settlesWithin(ready, READY_WAIT_MS))) logger.warn({ operatorId }, 'stream reader not ready: answering without it');
      connection.open();
      if (connection.closed) return;
      try {
        if (request.resume.kind === 'after') {
          await replay(connection, streamKey(operatorId), request.resume.id);
          return;
        }
        if (request.resume.kind === 'invalid') connection.reset('invalid_last_event_id');
        connection.goLive();
      } catch (error) {
        logger.warn({ err: error, operatorId }, 'stream replay failed: ending the stream');
        connection.end('replay_failed');
      }
    },

    close() {
      closing ??= (async () => {
        for (const fanOut of [...fanOuts.values()]) {
          // The reader first: no batch is fanned out to streams that are being ended.
          fanOut.reader.stop();
          for (const connection of fanOut.connections.connections()) connection.shutdown();
        }
        fanOuts.clear();
        if (history) await history.quit().catch(() => history?.disconnect());
      })();
      return closing;
    },
  };
}
