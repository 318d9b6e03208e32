import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Queryable } from '../../shared/db.ts';
import { inTransaction } from '../../shared/em-transaction.ts';
import { WebhookDeliveryEntity, type WebhookDelivery } from './entity.ts';

// Every query of the webhooks module, all on webhook_deliveries. A delivery's event is
// read by joining events (the event to send, its type in the list), and new deliveries
// join operators for who has a webhook URL: read-only joins, one statement instead of
// a round trip to each module per event.

// ——— created by the relay, in its transaction ———

// One pending delivery per event of an operator that has a webhook URL. Operators without
// one get no rows, so nothing piles up for them; the unique event key makes a repeated relay
// of the same event a no-op. A delivery carries its event's time: its partition and the
// foreign key to the event (migrations/0012-time-partitioned-tables.ts).
const INSERT_DELIVERIES = `
  INSERT INTO webhook_deliveries (id, operator_id, event_id, event_occurred_at, next_attempt_at)
  SELECT gen_random_uuid(), e.operator_id, e.event_id, e.occurred_at, now() + $4 * interval '1 millisecond'
    FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS e(event_id, operator_id, occurred_at)
    JOIN operators o ON o.id = e.operator_id AND o.webhook_url IS NOT NULL
  ON CONFLICT (operator_id, event_id, event_occurred_at) DO NOTHING
  RETURNING id, event_id`;

/** webhook_deliveries (⋈ operators): a pending delivery per event whose operator has a webhook URL; due after `graceMs`. */
export async function insertDeliveries(
  client: Queryable,
  events: { id: string; operatorId: string; occurredAt: Date }[],
  graceMs: number,
): Promise<{ id: string; event_id: string }[]> {
  // Named: prepared once per connection instead of planned on every relay pass.
  const { rows } = await client.query<{ id: string; event_id: string }>({
    name: 'webhook-deliveries-insert',
    text: INSERT_DELIVERIES,
    values: [events.map((event) => event.id), events.map((event) => event.operatorId), events.map((event) => event.occurredAt), graceMs],
  });
  return rows;
}

// DEMO ONLY (src/demo): the delivery of one event of an operator's bet, with a given id. The
// event is found by its bet and type (every partition: the demo data is small); like the
// relay's insert, nothing for an operator without a webhook URL or an event that has a delivery.
const INSERT_DELIVERY_WITH_ID = `
  INSERT INTO webhook_deliveries (id, operator_id, event_id, event_occurred_at, next_attempt_at)
  SELECT $1, e.operator_id, e.id, e.occurred_at, now()
    FROM events e JOIN operators o ON o.id = e.operator_id AND o.webhook_url IS NOT NULL
   WHERE e.operator_id = $2 AND e.bet_id = $3 AND e.type = $4
   ORDER BY e.occurred_at, e.seq LIMIT 1
  ON CONFLICT DO NOTHING
  RETURNING id`;

/** webhook_deliveries (⋈ events, operators): the delivery `id` of the bet's first `type` event; false if none was made. */
export async function insertDeliveryWithId(client: Queryable, delivery: { id: string; operatorId: string; betId: string; type: string }): Promise<boolean> {
  const { rowCount } = await client.query(INSERT_DELIVERY_WITH_ID, [delivery.id, delivery.operatorId, delivery.betId, delivery.type]);
  return Boolean(rowCount);
}

// ——— attempts ———

// The statements below are named (prepared once per connection): each runs once or twice
// per event, and planning them cost Postgres more than running them (pg_stat_statements).
//
// An attempt claims its delivery before sending: only the job of the current round, and
// only while no other attempt holds it (next_attempt_at is pushed past the send's timeout),
// so a swept job and a late original never both send. Returns the event to send.
const CLAIM = `
  WITH claimed AS (
    UPDATE webhook_deliveries
       SET next_attempt_at = now() + $3 * interval '1 millisecond', updated_at = now()
     WHERE id = $1 AND status = 'pending' AND attempts = $2
       AND (next_attempt_at IS NULL OR next_attempt_at <= now() + $4 * interval '1 millisecond')
    RETURNING operator_id, event_id, event_occurred_at)
  SELECT c.operator_id, e.id, e.type, e.data, e.occurred_at
    FROM claimed c JOIN events e ON e.operator_id = c.operator_id AND e.id = c.event_id AND e.occurred_at = c.event_occurred_at`;

// A 2xx wins whatever round sent it: the receiver has the event.
const RECORD_DELIVERED = `
  UPDATE webhook_deliveries
     SET status = 'delivered', delivered_at = now(), next_attempt_at = NULL, last_status_code = $3, last_error = NULL,
         attempts = CASE WHEN attempts = $2 THEN attempts + 1 ELSE attempts END, updated_at = now()
   WHERE id = $1 AND status = 'pending'`;

// The first attempts of a relay pass's deliveries, recorded in one statement when delivered.
const RECORD_FIRST_ATTEMPTS_DELIVERED = `
  UPDATE webhook_deliveries d
     SET status = 'delivered', delivered_at = now(), next_attempt_at = NULL, last_status_code = s.status_code, last_error = NULL,
         attempts = CASE WHEN d.attempts = 0 THEN 1 ELSE d.attempts END, updated_at = now()
    FROM unnest($1::uuid[], $2::int[]) AS s(id, status_code)
   WHERE d.id = s.id AND d.status = 'pending'`;

const RECORD_FAILED_ATTEMPT = `
  UPDATE webhook_deliveries
     SET attempts = attempts + 1, last_status_code = $3, last_error = $4,
         status = CASE WHEN attempts + 1 >= $5 THEN 'failed' ELSE 'pending' END,
         next_attempt_at = CASE WHEN attempts + 1 >= $5 THEN NULL ELSE now() + $6 * interval '1 millisecond' END,
         updated_at = now()
   WHERE id = $1 AND status = 'pending' AND attempts = $2
  RETURNING status, attempts`;

/** webhook_deliveries ⋈ events: claims the delivery for the attempt of `round` (for `leaseMs`) and returns its event; undefined if stale or settled. */
export async function claimDelivery(
  db: Queryable,
  deliveryId: string,
  round: number,
  leaseMs: number,
  graceMs: number,
): Promise<{ operator_id: string; id: string; type: string; data: unknown; occurred_at: Date } | undefined> {
  const { rows } = await db.query<{ operator_id: string; id: string; type: string; data: unknown; occurred_at: Date }>({
    name: 'webhook-claim',
    text: CLAIM,
    values: [deliveryId, round, leaseMs, graceMs],
  });
  return rows[0];
}

/** webhook_deliveries: marks a pending delivery delivered; false if it was not pending. */
export async function recordDelivered(db: Queryable, deliveryId: string, round: number, statusCode: number): Promise<boolean> {
  const { rowCount } = await db.query({ name: 'webhook-record-delivered', text: RECORD_DELIVERED, values: [deliveryId, round, statusCode] });
  return Boolean(rowCount);
}

/** webhook_deliveries: marks the pending ones of `ids` delivered with their status codes; returns how many were. */
export async function recordFirstAttemptsDelivered(db: Queryable, ids: string[], statusCodes: number[]): Promise<number> {
  const { rowCount } = await db.query({
    name: 'webhook-record-first-attempts-delivered',
    text: RECORD_FIRST_ATTEMPTS_DELIVERED,
    values: [ids, statusCodes],
  });
  return rowCount ?? 0;
}

/** webhook_deliveries: counts a failed attempt of `round`, failing the delivery at `maxAttempts`; undefined if the round was stale. */
export async function recordFailedAttempt(
  db: Queryable,
  deliveryId: string,
  round: number,
  failure: { statusCode: number | null; error: string; maxAttempts: number; delayMs: number },
): Promise<{ status: string; attempts: number } | undefined> {
  const { rows } = await db.query<{ status: string; attempts: number }>({
    name: 'webhook-record-failed-attempt',
    text: RECORD_FAILED_ATTEMPT,
    values: [deliveryId, round, failure.statusCode, failure.error, failure.maxAttempts, failure.delayMs],
  });
  return rows[0];
}

// ——— the sweeper ———

// Pending deliveries whose attempt is overdue: the job enqueued after commit was lost (the
// node died first, Redis lost its queues), or an attempt's job failed for good.
const OVERDUE = `
  SELECT id, attempts FROM webhook_deliveries
   WHERE status = 'pending' AND next_attempt_at < now()
   ORDER BY next_attempt_at
   LIMIT $1`;

/** webhook_deliveries: up to `limit` overdue pending deliveries, most overdue first. */
export async function selectOverdueDeliveries(db: Queryable, limit: number): Promise<{ id: string; attempts: number }[]> {
  const { rows } = await db.query<{ id: string; attempts: number }>(OVERDUE, [limit]);
  return rows;
}

// ——— the operator's list and redelivery ———
// Entity code: the delivery with its event's type (a read-only subquery on the events
// module's table by the event's key, WebhookDelivery.eventType), on the caller's EntityManager.

const VIEW_FIELDS = [
  'id',
  'eventId',
  'eventType',
  'status',
  'attempts',
  'lastStatusCode',
  'lastError',
  'nextAttemptAt',
  'deliveredAt',
  'createdAt',
  'positionAt',
] as const;

/** webhook_deliveries ⋈ events: one delivery of the operator with its event's type, or null. */
async function findDeliveryView(em: EntityManager, operatorId: string, deliveryId: string) {
  return em.findOne(WebhookDeliveryEntity, { id: deliveryId, operatorId }, { fields: VIEW_FIELDS });
}

/** A delivery as the operator's list shows it, with its page position (`created_at::text`). */
export type DeliveryRead = NonNullable<Awaited<ReturnType<typeof findDeliveryView>>> & { positionAt: string };

/** webhook_deliveries ⋈ events: the operator's deliveries newest first, optionally of one status, `limit` rows before the cursor. */
export async function selectDeliveries(
  em: EntityManager,
  operatorId: string,
  page: { status: WebhookDelivery['status'] | null; cursor: readonly [string, string] | null; limit: number },
): Promise<DeliveryRead[]> {
  const deliveries = await em.find(
    WebhookDeliveryEntity,
    {
      operatorId,
      ...(page.status !== null && { status: page.status }),
      ...(page.cursor !== null && { [raw((alias) => `(${alias}.created_at, ${alias}.id)`)]: { $lt: raw('(?::timestamptz, ?::uuid)', page.cursor) } }),
    },
    { fields: VIEW_FIELDS, orderBy: { createdAt: 'desc', id: 'desc' }, limit: page.limit },
  );
  return deliveries as DeliveryRead[];
}

/**
 * webhook_deliveries: resets the operator's delivery to a fresh pending series due now and
 * reads it back with its event's type, in one transaction (no attempt claims it between the
 * two); undefined if it is not theirs. SPEC §7 redelivery starts a fresh series: attempts and
 * the last error are cleared, the delivery is due now. A delivered one may be redelivered
 * too (receivers dedupe by event id).
 */
export async function resetDeliveryForRedelivery(em: EntityManager, operatorId: string, deliveryId: string): Promise<DeliveryRead | undefined> {
  return inTransaction(em, async (tx) => {
    const reset = await tx.nativeUpdate(
      WebhookDeliveryEntity,
      { id: deliveryId, operatorId },
      { status: 'pending', attempts: 0, lastStatusCode: null, lastError: null, deliveredAt: null, nextAttemptAt: raw('now()'), updatedAt: raw('now()') },
    );
    if (reset === 0) return undefined;
    return ((await findDeliveryView(tx, operatorId, deliveryId)) ?? undefined) as DeliveryRead | undefined;
  });
}
