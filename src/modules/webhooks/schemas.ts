import { z } from 'zod';
import { cursorSchema, limitSchema } from '../../http/pagination.ts';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;

export const listDeliveriesQuery = z
  .object({ status: z.enum(DELIVERY_STATUSES).optional(), cursor: cursorSchema.optional(), limit: limitSchema })
  .strict();
export const deliveryIdParams = z.object({ id: z.uuid() }).strict();

export type ListDeliveriesQuery = z.infer<typeof listDeliveriesQuery>;
