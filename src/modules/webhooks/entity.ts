import { EntitySchema, OptionalProps } from '@mikro-orm/core';
import { EventEntity, type EventRecord } from '../events/entity.ts';

export interface WebhookDelivery {
  /** Read-side views of columns written through eventId and created_at. */
  [OptionalProps]?: 'event' | 'positionAt';
  id: string;
  operatorId: string;
  eventId: string;
  /** The event delivered (webhook_deliveries.event_id), for reads that show its type; written through `eventId`. */
  event: EventRecord;
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
    eventId: { type: 'uuid', unique: true },
    // The same column as a relation, for joins: not written (persist: false).
    event: { kind: 'm:1', entity: () => EventEntity, fieldName: 'event_id', persist: false },
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
