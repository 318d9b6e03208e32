import type { Logger } from 'pino';
import type { EntityManager } from '@mikro-orm/postgresql';
import { notFound } from '../../shared/errors.ts';
import { toPage } from '../../shared/pagination.ts';
import type { Enqueuer } from '../../../queues/enqueue.ts';
import type { ListDeliveriesQuery } from './schemas.ts';
import { resetDeliveryForRedelivery, selectDeliveries, type DeliveryRead } from './store.ts';

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

const toView = (delivery: DeliveryRead): DeliveryView => ({
  id: delivery.id,
  eventId: delivery.eventId,
  eventType: delivery.eventType!,
  status: delivery.status,
  attempts: delivery.attempts,
  lastStatusCode: delivery.lastStatusCode,
  lastError: delivery.lastError,
  nextAttemptAt: delivery.nextAttemptAt?.toISOString() ?? null,
  deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
  createdAt: delivery.createdAt.toISOString(),
});

export interface DeliveriesApi {
  list(em: EntityManager, operatorId: string, query: ListDeliveriesQuery): Promise<{ items: DeliveryView[]; nextCursor: string | null }>;
  /** Resets the delivery to a fresh `pending` series and sends it now. */
  redeliver(em: EntityManager, operatorId: string, deliveryId: string): Promise<DeliveryView>;
}

/** SPEC §3/§7: an operator's own webhook deliveries (GET /webhooks/deliveries) and redelivery of one. */
export function createDeliveriesApi(deps: { enqueuer: Enqueuer; logger: Logger }): DeliveriesApi {
  const { logger } = deps;

  async function list(em: EntityManager, operatorId: string, query: ListDeliveriesQuery) {
    const deliveries = await selectDeliveries(em, operatorId, { status: query.status ?? null, cursor: query.cursor ?? null, limit: query.limit + 1 });
    return toPage(deliveries, query.limit, toView, (delivery) => [delivery.positionAt, delivery.id]);
  }

  async function redeliver(em: EntityManager, operatorId: string, deliveryId: string) {
    const delivery = await resetDeliveryForRedelivery(em, operatorId, deliveryId);
    if (!delivery) throw notFound('webhook delivery');
    // A fresh series reuses round numbers: the tag keeps this job apart from any of the last series.
    await deps.enqueuer
      .enqueue('webhook', { deliveryId, round: 0 }, { tag: `redeliver${Date.now()}` })
      .catch((error: unknown) => logger.warn({ err: error, deliveryId }, 'redelivery not enqueued; the webhook sweeper will pick it up'));
    return toView(delivery);
  }

  return { list, redeliver };
}
