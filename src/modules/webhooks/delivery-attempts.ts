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
import { claimDelivery, recordDelivered, recordFailedAttempt, recordFirstAttemptsDelivered } from './store.ts';

const deliveriesTotal = new Counter({
  name: 'rgs_webhook_deliveries_total',
  help: 'Webhook delivery attempts by result (delivered, retry, failed)',
  labelNames: ['result'] as const,
  registers: [registry],
});

const MAX_ERROR_LENGTH = 500;

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
    const after = await recordFailedAttempt(db, deliveryId, round, {
      statusCode: outcome.statusCode,
      error: outcome.error.slice(0, MAX_ERROR_LENGTH),
      maxAttempts: settings.maxAttempts,
      delayMs,
    });
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
    const event = await claimDelivery(db, deliveryId, round, attemptLeaseMs, ENQUEUE_GRACE_MS);
    if (!event) return;
    const outcome = await send(event.operator_id, event.id, eventJson(event));
    if (outcome.delivered) {
      if (await recordDelivered(db, deliveryId, round, outcome.statusCode)) deliveriesTotal.inc({ result: 'delivered' });
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
      const recorded = await recordFirstAttemptsDelivered(db, delivered.map((d) => d.id), delivered.map((d) => d.statusCode));
      deliveriesTotal.inc({ result: 'delivered' }, recorded);
    }
    for (const { id, eventId, outcome } of outcomes) if (!outcome.delivered) await recordFailure(id, 0, eventId, outcome);
  }

  return { deliver, sendFirstAttemptBatch };
}
