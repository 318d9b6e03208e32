import { EntitySchema, OptionalProps } from '@mikro-orm/core';

export interface WebhookDelivery {
  /** Read-side views of columns written through eventId and created_at. */
  [OptionalProps]?: 'eventType' | 'positionAt';
  id: string;
  operatorId: string;
  eventId: string;
  /** The event's time: with operatorId and eventId, the event's key, and the delivery's partition. */
  eventOccurredAt: Date;
  /** The delivered event's type, read by the event's key. Computed, and only when asked (`fields`). */
  eventType?: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /**
   * `created_at::text`, to the microsecond: the position a page cursor carries (a Date
   * keeps milliseconds). Computed, and only when asked (`fields`/`populate`).
   */
  positionAt?: string;
}

export const WebhookDeliveryEntity = new EntitySchema<WebhookDelivery>({
  name: 'WebhookDelivery',
  tableName: 'webhook_deliveries',
  properties: {
    id: { type: 'uuid', primary: true },
    operatorId: { type: 'uuid' },
    eventId: { type: 'uuid' },
    eventOccurredAt: { type: 'Date' },
    // A subquery by the event's full key, so Postgres looks in one events partition.
    eventType: {
      type: 'text',
      lazy: true,
      formula: (alias) => `(SELECT e.type FROM events e WHERE e.operator_id = ${alias}.operator_id AND e.id = ${alias}.event_id AND e.occurred_at = ${alias}.event_occurred_at)`,
    },
    status: { type: 'text' },
    attempts: { type: 'integer' },
    lastStatusCode: { type: 'integer', nullable: true },
    lastError: { type: 'text', nullable: true },
    nextAttemptAt: { type: 'Date', nullable: true },
    deliveredAt: { type: 'Date', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
    positionAt: { type: 'string', lazy: true, formula: (alias) => `${alias}.created_at::text` },
  },
});
