import type { Logger } from 'pino';
import type { Db } from '../../shared/db.ts';
import { notFound } from '../../shared/errors.ts';
import { toPage } from '../../shared/pagination.ts';
import type { Enqueuer } from '../../../queues/enqueue.ts';
import type { ListDeliveriesQuery } from './schemas.ts';
import { resetDeliveryForRedelivery, selectDeliveries, type DeliveryRow } from './store.ts';

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

export interface DeliveriesApi {
  list(operatorId: string, query: ListDeliveriesQuery): Promise<{ items: DeliveryView[]; nextCursor: string | null }>;
  /** Resets the delivery to a fresh `pending` series and sends it now. */
  redeliver(operatorId: string, deliveryId: string): Promise<DeliveryView>;
}

/** SPEC §3/§7: an operator's own webhook deliveries (GET /webhooks/deliveries) and redelivery of one. */
export function createDeliveriesApi(deps: { db: Db; enqueuer: Enqueuer; logger: Logger }): DeliveriesApi {
  const { db, logger } = deps;

  async function list(operatorId: string, query: ListDeliveriesQuery) {
    const [cursorAt, cursorId] = query.cursor ?? [null, null];
    const rows = await selectDeliveries(db, operatorId, { status: query.status ?? null, cursorAt, cursorId, limit: query.limit + 1 });
    return toPage(rows, query.limit, toView, (row) => [row.cursor_at, row.id]);
  }

  async function redeliver(operatorId: string, deliveryId: string) {
    const row = await resetDeliveryForRedelivery(db, operatorId, deliveryId);
    if (!row) throw notFound('webhook delivery');
    // A fresh series reuses round numbers: the tag keeps this job apart from any of the last series.
    await deps.enqueuer
      .enqueue('webhook', { deliveryId, round: 0 }, { tag: `redeliver${Date.now()}` })
      .catch((error: unknown) => logger.warn({ err: error, deliveryId }, 'redelivery not enqueued; the webhook sweeper will pick it up'));
    return toView(row);
  }

  return { list, redeliver };
}
