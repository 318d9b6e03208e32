import { EntitySchema } from '@mikro-orm/core';

export interface WebhookDelivery {
  id: string;
  operatorId: string;
  eventId: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const WebhookDeliveryEntity = new EntitySchema<WebhookDelivery>({
  name: 'WebhookDelivery',
  tableName: 'webhook_deliveries',
  properties: {
    id: { type: 'uuid', primary: true },
    operatorId: { type: 'uuid' },
    eventId: { type: 'uuid', unique: true },
    status: { type: 'text' },
    attempts: { type: 'integer' },
    lastStatusCode: { type: 'integer', nullable: true },
    lastError: { type: 'text', nullable: true },
    nextAttemptAt: { type: 'Date', nullable: true },
    deliveredAt: { type: 'Date', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});
