import { z } from 'zod';
import { createdAtPosition, cursorSchema, limitSchema, pageSchema } from '../../shared/pagination.ts';
import { currencySchema, playerIdSchema } from '../../shared/schemas.ts';

export const listOutboxQuery = z.object({ cursor: cursorSchema.pipe(createdAtPosition).optional(), limit: limitSchema }).strict();

/** A deferred credit (a won bet whose credit is being retried, or parked after the wallet refused it), or a parked bet's rollback (`OutboxItem`). */
export const outboxItem = z
  .object({
    id: z.uuid().meta({ description: 'the bet id' }),
    betId: z.uuid(),
    playerId: playerIdSchema,
    status: z.enum(['credit_pending', 'credit_parked', 'parked']),
    kind: z.enum(['credit', 'rollback']),
    transactionId: z.string(),
    amount: z.int().min(0),
    currency: currencySchema,
    attempts: z.int().min(0),
    lastError: z.string().nullable(),
    nextAttemptAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'OutboxItem' });

export const outboxPage = pageSchema(outboxItem).extend({
  pendingCount: z.int().min(0).meta({ description: 'credit_pending bets of the operator' }),
  parkedCount: z
    .int()
    .min(0)
    .meta({ description: 'bets of the operator parked for a person: a rollback that kept failing (parked) or a credit the wallet refused (credit_parked)' }),
});

export type ListOutboxQuery = z.infer<typeof listOutboxQuery>;
