import type { Logger } from 'pino';
import type { Db } from '../../shared/db.ts';
import { notFound } from '../../shared/errors.ts';
import { toPage } from '../../shared/pagination.ts';
import type { Enqueuer } from '../../../queues/enqueue.ts';
import type { ListDeliveriesQuery } from './schemas.ts';

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

  return { list, redeliver };
}
