import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import type { Db } from '../../shared/db.ts';
import { registry } from '../../shared/metrics.ts';
import type { Enqueuer } from '../../../queues/enqueue.ts';
import { eventJson } from '../events/relay.ts';
import type { OperatorsService } from '../operators/service.ts';
import { ENQUEUE_GRACE_MS, type NewDelivery } from './deliveries.ts';
import { webhookRetryDelayMs, type WebhookRetryPolicy } from './retry-policy.ts';
import type { SendOutcome, WebhookSender } from './sender.ts';

const deliveriesTotal = new Counter({
  name: 'rgs_webhook_deliveries_total',
  help: 'Webhook delivery attempts by result (delivered, retry, failed)',
  labelNames: ['result'] as const,
  registers: [registry],
});

const MAX_ERROR_LENGTH = 500;

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

export interface DeliveryAttempts {
  /** One queued attempt (the `webhook` job of `round`): claims the delivery, sends, records; a stale or already-settled round does nothing. */
  deliver(deliveryId: string, round: number): Promise<void>;
  /**
   * The first attempts of new deliveries, unclaimed (the relaying node owns them for
   * ENQUEUE_GRACE_MS): sends them all, records the delivered ones in one statement and each
   * failure on its own, enqueueing its retry.
   */
  sendFirstAttemptBatch(deliveries: NewDelivery[]): Promise<void>;
}

/**
 * SPEC §7 webhooks: each event is POSTed, signed, to the operator's current webhook URL,
 * outside any transaction; failures back off exponentially up to WEBHOOK_MAX_ATTEMPTS and
 * then stay `failed` until the operator redelivers.
 */
export function createDeliveryAttempts(deps: {
  db: Db;
  enqueuer: Enqueuer;
  operators: Pick<OperatorsService, 'webhookEndpoint'>;
  sender: WebhookSender;
  logger: Logger;
  settings: WebhookRetryPolicy & { timeoutMs: number };
}): DeliveryAttempts {
  const { db, settings, logger, sender } = deps;
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

  // No claim here: a new delivery is not due for ENQUEUE_GRACE_MS, so until then the sweeper
  // leaves it to this attempt, and one record for the batch's delivered ones follows
  // (measured: a queue job, a claim and a record per event cost more than the bet itself; a
  // claim per pass still cost a row version and five index entries per event;
  // docs/performance.md, "Webhooks").
  async function sendFirstAttemptBatch(deliveries: NewDelivery[]): Promise<void> {
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

  return { deliver, sendFirstAttemptBatch };
}
