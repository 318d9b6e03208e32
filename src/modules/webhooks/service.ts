import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import type { Db } from '../../shared/db.ts';
import { registry } from '../../shared/metrics.ts';
import { notFound } from '../../shared/errors.ts';
import { toPage } from '../../shared/pagination.ts';
import type { Enqueuer } from '../../../queues/enqueue.ts';
import { eventJson } from '../events/relay.ts';
import type { OperatorsService } from '../operators/service.ts';
import { ENQUEUE_GRACE_MS, enqueueDeliveries, type NewDelivery } from './deliveries.ts';
import { webhookRetryDelayMs, type WebhookRetryPolicy } from './retry-policy.ts';
import type { ListDeliveriesQuery } from './schemas.ts';
import { createWebhookSender, type SendOutcome } from './sender.ts';

const deliveriesTotal = new Counter({
  name: 'rgs_webhook_deliveries_total',
  help: 'Webhook delivery attempts by result (delivered, retry, failed)',
  labelNames: ['result'] as const,
  registers: [registry],
});

const MAX_ERROR_LENGTH = 500;
/**
 * New deliveries a node holds while its first attempts in flight are at their bound
 * (`firstAttemptsInFlight`); more go through the queue. Each is its event's JSON, a few
 * hundred bytes.
 */
const MAX_FIRST_ATTEMPTS_WAITING = 65_536;

export interface WebhookSettings extends WebhookRetryPolicy {
  timeoutMs: number;
  /**
   * First attempts a node sends at once (each sending, or waiting for one of the sender's
   * connections). At 256, half of the deliveries of a c=64 bench run with webhooks took the
   * queue, whose path costs a job, a claim and a record per event.
   */
  firstAttemptsInFlight: number;
  /**
   * Of those, at most this many of one operator's (WEBHOOK_FIRST_ATTEMPTS_PER_OPERATOR): a
   * receiver that hangs holds that many, and the other operators' first attempts still go.
   */
  firstAttemptsPerOperator: number;
  /** Production refuses plain-http webhook URLs (SPEC §7). */
  httpsOnly: boolean;
  /** ALLOW_PRIVATE_TARGETS (src/shared/outbound-target.ts). */
  allowPrivateTargets: boolean;
}

/** A delivery as its operator sees it (GET /webhooks/deliveries). */
export interface DeliveryView {
  id: string;
  eventId: string;
  eventType: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  status: DeliveryView['status'];
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
  cursor_at: string;
}

const toView = (row: DeliveryRow): DeliveryView => ({
  id: row.id,
  eventId: row.event_id,
  eventType: row.event_type,
  status: row.status,
  attempts: row.attempts,
  lastStatusCode: row.last_status_code,
  lastError: row.last_error,
  nextAttemptAt: row.next_attempt_at?.toISOString() ?? null,
  deliveredAt: row.delivered_at?.toISOString() ?? null,
  createdAt: row.created_at.toISOString(),
});

const VIEW_COLUMNS = `d.id, d.event_id, e.type AS event_type, d.status, d.attempts, d.last_status_code, d.last_error,
       d.next_attempt_at, d.delivered_at, d.created_at, d.created_at::text AS cursor_at`;

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
    RETURNING operator_id, event_id)
  SELECT c.operator_id, e.id, e.type, e.data, e.occurred_at
    FROM claimed c JOIN events e ON e.id = c.event_id`;

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

// SPEC §7 redelivery starts a fresh series: attempts and the last error are cleared, the
// delivery is due now. A delivered one may be redelivered too (receivers dedupe by event id).
const REDELIVER = `
  WITH reset AS (
    UPDATE webhook_deliveries
       SET status = 'pending', attempts = 0, last_status_code = NULL, last_error = NULL, delivered_at = NULL,
           next_attempt_at = now(), updated_at = now()
     WHERE id = $1 AND operator_id = $2
    RETURNING *)
  SELECT ${VIEW_COLUMNS} FROM reset d JOIN events e ON e.id = d.event_id`;

export interface WebhooksService {
  /** One delivery attempt (the `webhook` job of `round`); a stale or already-settled round does nothing. */
  deliver(deliveryId: string, round: number): Promise<void>;
  /**
   * The first attempt of deliveries the relay just committed, in this process and in the
   * background; over the in-flight bound they wait their turn, and those that could no
   * longer be sent in time go to the queue instead. Never throws: a delivery no attempt
   * reached is swept after ENQUEUE_GRACE_MS.
   */
  sendFirstAttempts(deliveries: NewDelivery[]): void;
  list(operatorId: string, query: ListDeliveriesQuery): Promise<{ items: DeliveryView[]; nextCursor: string | null }>;
  /** Resets the delivery to a fresh `pending` series and sends it now. */
  redeliver(operatorId: string, deliveryId: string): Promise<DeliveryView>;
  close(): Promise<void>;
}

/**
 * SPEC §7 webhooks: each event is POSTed, signed, to the operator's current webhook URL,
 * outside any transaction; failures back off exponentially up to WEBHOOK_MAX_ATTEMPTS and
 * then stay `failed` until the operator redelivers.
 */
export function createWebhooksService(deps: {
  db: Db;
  enqueuer: Enqueuer;
  operators: Pick<OperatorsService, 'webhookEndpoint'>;
  logger: Logger;
  settings: WebhookSettings;
}): WebhooksService {
  const { db, settings, logger } = deps;
  const sender = createWebhookSender({ timeoutMs: settings.timeoutMs, httpsOnly: settings.httpsOnly, allowPrivateTargets: settings.allowPrivateTargets });
  const attemptLeaseMs = settings.timeoutMs + ENQUEUE_GRACE_MS + 5_000;
  const warnedUnsigned = new Set<string>();

  type EventRow = { operator_id: string; id: string; type: string; data: unknown; occurred_at: Date };

  /** POSTs the event (`json`: `{id, type, operatorId, occurredAt, data}`, as on the SSE stream) to its operator's current webhook URL. */
  async function send(operatorId: string, eventId: string, json: string): Promise<SendOutcome> {
    const endpoint = await deps.operators.webhookEndpoint(operatorId);
    if (endpoint && endpoint.secret === null && !warnedUnsigned.has(operatorId)) {
      if (warnedUnsigned.size > 10_000) warnedUnsigned.clear();
      warnedUnsigned.add(operatorId);
      logger.warn({ operatorId }, 'operator has a webhook URL but no webhook secret: sending webhooks unsigned');
    }
    return endpoint ? sender.send(endpoint, eventId, json) : { delivered: false, statusCode: null, error: 'the operator has no webhook URL' };
  }

  /** Records a failed attempt of `round`, and enqueues the next one unless it was the last. */
  async function recordFailure(deliveryId: string, round: number, eventId: string, outcome: Extract<SendOutcome, { delivered: false }>): Promise<void> {
    const delayMs = webhookRetryDelayMs(settings, round + 1);
    const { rows: recorded } = await db.query<{ status: string; attempts: number }>({
      name: 'webhook-record-failed-attempt',
      text: RECORD_FAILED_ATTEMPT,
      values: [deliveryId, round, outcome.statusCode, outcome.error.slice(0, MAX_ERROR_LENGTH), settings.maxAttempts, delayMs],
    });
    const after = recorded[0];
    if (!after) return;
    if (after.status === 'failed') {
      deliveriesTotal.inc({ result: 'failed' });
      logger.warn({ deliveryId, eventId, attempts: after.attempts, error: outcome.error }, 'webhook delivery failed for good');
      return;
    }
    deliveriesTotal.inc({ result: 'retry' });
    logger.info({ deliveryId, eventId, attempts: after.attempts, delayMs, error: outcome.error }, 'webhook attempt failed; retrying');
    await deps.enqueuer
      .enqueue('webhook', { deliveryId, round: after.attempts }, { delayMs })
      .catch((error: unknown) => logger.warn({ err: error, deliveryId }, 'next webhook attempt not enqueued; the webhook sweeper will pick it up'));
  }

  async function deliver(deliveryId: string, round: number): Promise<void> {
    const { rows } = await db.query<EventRow>({ name: 'webhook-claim', text: CLAIM, values: [deliveryId, round, attemptLeaseMs, ENQUEUE_GRACE_MS] });
    const event = rows[0];
    if (!event) return;
    const outcome = await send(event.operator_id, event.id, eventJson(event));
    if (outcome.delivered) {
      const { rowCount } = await db.query({ name: 'webhook-record-delivered', text: RECORD_DELIVERED, values: [deliveryId, round, outcome.statusCode] });
      if (rowCount) deliveriesTotal.inc({ result: 'delivered' });
      return;
    }
    await recordFailure(deliveryId, round, event.id, outcome);
  }

  // First attempts run in the relay's node, off the relay's path: a pass does not wait for
  // receivers. They send the event JSON the relay already made, without a claim: a new
  // delivery is not due for ENQUEUE_GRACE_MS, so until then the sweeper leaves it to this
  // attempt, and one record for the pass's delivered ones follows (measured: a queue job,
  // a claim and a record per event cost more than the bet itself; a claim per pass still
  // cost a row version and five index entries per event; docs/performance.md). Deliveries
  // over the in-flight bound wait here, in order, while a first attempt could still end
  // (delivered, or timed out) before that grace is over, with a second to spare for the
  // clocks of node and Postgres; those that cannot, take the queue, whose attempts claim.
  // An attempt still unrecorded after the grace (sends waiting long for one of the sender's
  // connections) may be sent again by the sweeper's: delivery is at least once (SPEC §7).
  const firstAttemptWindowMs = ENQUEUE_GRACE_MS - settings.timeoutMs - 1_000;
  // Per operator, in arrival order: each operator waits for a place among its own first
  // attempts, so one whose receiver hangs never holds up another's (issue #17 point 13).
  const waiting = new Map<string, { delivery: NewDelivery; until: number }[]>();
  let waitingCount = 0;
  const sendingByOperator = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  let sendsInFlight = 0;
  let closing = false;

  async function firstAttempts(deliveries: NewDelivery[]): Promise<void> {
    const outcomes = await Promise.all(
      deliveries.map(async ({ id, event }) => ({ id, eventId: event.id, outcome: await send(event.operatorId, event.id, event.json) })),
    );
    const delivered = outcomes.flatMap(({ id, outcome }) => (outcome.delivered ? [{ id, statusCode: outcome.statusCode }] : []));
    if (delivered.length) {
      const { rowCount } = await db.query({
        name: 'webhook-record-first-attempts-delivered',
        text: RECORD_FIRST_ATTEMPTS_DELIVERED,
        values: [delivered.map((d) => d.id), delivered.map((d) => d.statusCode)],
      });
      deliveriesTotal.inc({ result: 'delivered' }, rowCount ?? 0);
    }
    for (const { id, eventId, outcome } of outcomes) if (!outcome.delivered) await recordFailure(id, 0, eventId, outcome);
  }

  function toQueue(deliveries: NewDelivery[]): void {
    if (deliveries.length) void enqueueDeliveries(deps.enqueuer, deliveries.map((delivery) => delivery.id), logger);
  }

  /** Starts the first attempts there is room for; the ones that waited too long take the queue. */
  function pump(): void {
    const now = Date.now();
    const expired: NewDelivery[] = [];
    for (const [operatorId, line] of waiting) {
      let count = 0;
      while (count < line.length && line[count]!.until <= now) count += 1;
      if (count === 0) continue;
      expired.push(...line.splice(0, count).map((entry) => entry.delivery));
      waitingCount -= count;
      if (line.length === 0) waiting.delete(operatorId);
    }
    toQueue(expired);
    if (closing) return;
    for (const [operatorId, line] of waiting) {
      const room = Math.min(
        settings.firstAttemptsInFlight - sendsInFlight,
        settings.firstAttemptsPerOperator - (sendingByOperator.get(operatorId) ?? 0),
      );
      if (room <= 0) continue;
      const batch = line.splice(0, room).map((entry) => entry.delivery);
      waitingCount -= batch.length;
      if (line.length === 0) waiting.delete(operatorId);
      start(operatorId, batch);
    }
  }

  /** One operator's first attempts: recorded together once all of them ended, apart from any other operator's. */
  function start(operatorId: string, batch: NewDelivery[]): void {
    sendsInFlight += batch.length;
    sendingByOperator.set(operatorId, (sendingByOperator.get(operatorId) ?? 0) + batch.length);
    const attempt = firstAttempts(batch)
      .catch((error: unknown) => logger.warn({ err: error, count: batch.length }, 'first webhook attempts failed; the webhook sweeper will retry them'))
      .finally(() => {
        sendsInFlight -= batch.length;
        const left = (sendingByOperator.get(operatorId) ?? 0) - batch.length;
        if (left > 0) sendingByOperator.set(operatorId, left);
        else sendingByOperator.delete(operatorId);
        inFlight.delete(attempt);
        pump();
      });
    inFlight.add(attempt);
  }

  function sendFirstAttempts(deliveries: NewDelivery[]): void {
    if (deliveries.length === 0) return;
    if (closing || firstAttemptWindowMs <= 0) return toQueue(deliveries);
    const until = Date.now() + firstAttemptWindowMs;
    const room = Math.max(0, MAX_FIRST_ATTEMPTS_WAITING - waitingCount);
    for (const delivery of deliveries.slice(0, room)) {
      const operatorId = delivery.event.operatorId;
      let line = waiting.get(operatorId);
      if (!line) waiting.set(operatorId, (line = []));
      line.push({ delivery, until });
    }
    waitingCount += Math.min(room, deliveries.length);
    toQueue(deliveries.slice(room));
    pump();
  }

  async function list(operatorId: string, query: ListDeliveriesQuery) {
    const [cursorAt, cursorId] = query.cursor ?? [null, null];
    const { rows } = await db.query<DeliveryRow>(
      `SELECT ${VIEW_COLUMNS}
         FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
        WHERE d.operator_id = $1
          AND ($2::text IS NULL OR d.status = $2)
          AND ($3::timestamptz IS NULL OR (d.created_at, d.id) < ($3::timestamptz, $4::uuid))
        ORDER BY d.created_at DESC, d.id DESC
        LIMIT $5`,
      [operatorId, query.status ?? null, cursorAt, cursorId, query.limit + 1],
    );
    return toPage(rows, query.limit, toView, (row) => [row.cursor_at, row.id]);
  }

  async function redeliver(operatorId: string, deliveryId: string) {
    const { rows } = await db.query<DeliveryRow>(REDELIVER, [deliveryId, operatorId]);
    const row = rows[0];
    if (!row) throw notFound('webhook delivery');
    // A fresh series reuses round numbers: the tag keeps this job apart from any of the last series.
    await deps.enqueuer
      .enqueue('webhook', { deliveryId, round: 0 }, { tag: `redeliver${Date.now()}` })
      .catch((error: unknown) => logger.warn({ err: error, deliveryId }, 'redelivery not enqueued; the webhook sweeper will pick it up'));
    return toView(row);
  }

  return {
    deliver,
    sendFirstAttempts,
    list,
    redeliver,
    async close() {
      // Deliveries still waiting go to the queue, for whichever node runs workers; first
      // attempts already sent get recorded (each send is bounded by its timeout).
      closing = true;
      const left = [...waiting.values()].flat().map((entry) => entry.delivery.id);
      waiting.clear();
      waitingCount = 0;
      if (left.length) await enqueueDeliveries(deps.enqueuer, left, logger);
      await Promise.allSettled([...inFlight]);
      await sender.close();
    },
  };
}
