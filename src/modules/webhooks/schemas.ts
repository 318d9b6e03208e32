import { z } from 'zod';
import { createdAtPosition, cursorSchema, limitSchema, pageSchema } from '../../shared/pagination.ts';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;

export const listDeliveriesQuery = z
  .object({ status: z.enum(DELIVERY_STATUSES).optional(), cursor: cursorSchema.pipe(createdAtPosition).optional(), limit: limitSchema })
  .strict();

/** A webhook delivery as its operator sees it (`DeliveryView`). */
export const deliveryView = z
  .object({
    id: z.uuid(),
    eventId: z.uuid(),
    eventType: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.int().min(0),
    lastStatusCode: z.int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: z.iso.datetime().nullable(),
    deliveredAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'WebhookDelivery' });

export const deliveriesPage = pageSchema(deliveryView);

export type ListDeliveriesQuery = z.infer<typeof listDeliveriesQuery>;
