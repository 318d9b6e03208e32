import type { RedisClient } from '../../shared/redis.ts';
import type { Logger } from 'pino';
import type { Db, Queryable } from '../../shared/db.ts';
import { eventRelayLagSeconds, eventsRelayedTotal } from '../../shared/metrics.ts';
import { advanceRelayCursorAndCommit, commitRelayPass, openRelayPass, rollbackRelayPass, RELAY_BATCH, type BatchRow, type EventRow } from './store.ts';
import { appendEvents, defineAppendEvents, type StreamEvent, type StreamRetention } from './stream-append.ts';

const LOCK_RETRY_MS = 20;
const COALESCE_MS = 10;

/** What a pass did: `relayed` is -1 if another node holds the relay lock. */
interface PassResult {
  relayed: number;
  heldBack: boolean;
}

/** An event as SSE frames and webhook bodies carry it (SPEC §7): `{id, type, operatorId, occurredAt, data}`. */
export function eventJson(row: { id: string; operator_id: string; type: string; data: unknown; occurred_at: Date }): string {
  return JSON.stringify({ id: row.id, type: row.type, operatorId: row.operator_id, occurredAt: row.occurred_at.toISOString(), data: row.data });
}

/** An event of a pass, with the JSON appended to its stream (`eventJson`). */
export interface RelayedEvent {
  id: string;
  operatorId: string;
  /** The event's time: with operatorId and id, its key (events' partitions are by time). */
  occurredAt: Date;
  json: string;
}

/**
 * What else happens to relayed events: webhook deliveries, created in the relay's
 * transaction (`inTransaction`), whose first attempts go out after its commit (`afterCommit`).
 * Both get only the events whose operator has a webhook URL, and neither is called for a
 * pass with none.
 */
export interface RelayedEventHooks<Created> {
  inTransaction(client: Queryable, events: RelayedEvent[]): Promise<Created>;
  afterCommit(created: Created): Promise<void>;
}

export interface EventRelay {
  /** Asks for a relay pass now (after a commit that wrote events); concurrent asks coalesce. */
  kick(): void;
  stop(): Promise<void>;
}

/**
 * SPEC §7: every committed event row is appended to its operator's Redis Stream exactly
 * once. Nodes kick a pass right after their own commits; every node also runs a pass on
 * a timer, which relays what a node that died after its commit never did. The append
 * itself is idempotent in Redis, so a pass repeated after a crash never duplicates.
 */
export function startEventRelay<Created>(deps: {
  db: Db;
  redis: RedisClient;
  logger: Logger;
  retention: StreamRetention;
  intervalMs: number;
  hooks: RelayedEventHooks<Created>;
}): EventRelay {
  const { db, redis, logger } = deps;
  defineAppendEvents(redis);
  let warnedCursorAhead = false;

  /** One batch. */
  async function pass(): Promise<PassResult> {
    const client = await db.connect();
    try {
      const batch = await openRelayPass(client);
      const first = batch[0]!; // one row at least: the function returns one
      if (!first.locked) {
        await rollbackRelayPass(client);
        return { relayed: -1, heldBack: false };
      }
      if (first.cursor_ahead) {
        // Transaction ids went back under a running node (relay-rebase.ts runs at startup).
        await rollbackRelayPass(client);
        if (!warnedCursorAhead) {
          logger.error(
            'event relay: the relay cursor is ahead of this Postgres cluster\'s transaction ids (a restore while nodes were running?); nothing is relayed until the nodes are restarted',
          );
          warnedCursorAhead = true;
        }
        return { relayed: 0, heldBack: false };
      }
      const heldBack = first.held_back;
      const rows = batch.filter((row): row is BatchRow & EventRow => row.id !== null);
      const last = rows.at(-1);
      if (!last) {
        await commitRelayPass(client);
        return { relayed: 0, heldBack };
      }
      const toWebhooks: RelayedEvent[] = [];
      const byOperator = new Map<string, StreamEvent[]>();
      for (const row of rows) {
        const json = eventJson(row);
        if (row.to_webhook) toWebhooks.push({ id: row.id, operatorId: row.operator_id, occurredAt: row.occurred_at, json });
        const events = byOperator.get(row.operator_id) ?? [];
        events.push({ txid: row.txid, seq: String(row.seq), json });
        byOperator.set(row.operator_id, events);
      }
      // One script call per operator stream, all in flight at once.
      await Promise.all([...byOperator].map(([operatorId, events]) => appendEvents(redis, operatorId, events, deps.retention)));
      const created = toWebhooks.length > 0 ? { value: await deps.hooks.inTransaction(client, toWebhooks) } : undefined;
      await advanceRelayCursorAndCommit(client, last.txid, last.seq);
      const now = Date.now();
      eventsRelayedTotal.inc(rows.length);
      for (const row of rows) eventRelayLagSeconds.observe((now - row.occurred_at.getTime()) / 1000);
      if (created) await deps.hooks.afterCommit(created.value);
      return { relayed: rows.length, heldBack };
    } catch (error) {
      await rollbackRelayPass(client).catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  // Passes in a row that found events held back and relayed none: a transaction left open
  // somewhere. The pause between passes doubles with each, up to the timer's interval,
  // instead of polling Postgres every 10 ms for as long as that transaction lasts.
  let stalledPasses = 0;

  async function drain(): Promise<void> {
    do {
      again = false;
      for (;;) {
        const { relayed, heldBack } = await pass();
        // Committed events wait behind a transaction still running: look again shortly.
        if (heldBack) again = true;
        if (relayed !== -1) stalledPasses = heldBack && relayed === 0 ? stalledPasses + 1 : 0;
        if (relayed === -1) {
          // Another node is relaying; it may have read before our commit: look again shortly.
          await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
          again = true;
          break;
        }
        if (relayed < RELAY_BATCH) break;
      }
      // Under load commits keep kicking: pace the passes, so that each carries the
      // events of many commits instead of a few (a pass costs two round trips to Postgres
      // and one to Redis however few events it carries).
      const pauseMs = Math.min(deps.intervalMs, COALESCE_MS * 2 ** stalledPasses);
      if (again && !stopped) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    } while (again && !stopped);
  }

  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    // A moment's wait lets one pass carry the events of many commits.
    running = new Promise((resolve) => setTimeout(resolve, COALESCE_MS))
      .then(drain)
      .catch((error: unknown) => logger.warn({ err: error }, 'event relay pass failed; the next pass retries'))
      .finally(() => {
        running = undefined;
      });
  }

  const timer = setInterval(kick, deps.intervalMs);
  timer.unref();
  kick();

  return {
    kick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
