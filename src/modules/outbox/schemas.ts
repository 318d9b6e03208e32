import { z } from 'zod';
import { cursorSchema, limitSchema } from '../../http/pagination.ts';

export const listOutboxQuery = z.object({ cursor: cursorSchema.optional(), limit: limitSchema }).strict();
export const outboxIdParams = z.object({ id: z.uuid() }).strict();
export type ListOutboxQuery = z.infer<typeof listOutboxQuery>;
