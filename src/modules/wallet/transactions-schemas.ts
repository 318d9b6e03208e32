import { z } from 'zod';
import { cursorSchema, limitSchema, pageSchema } from '../../shared/pagination.ts';
import { currencySchema, playerIdSchema } from '../../shared/schemas.ts';
import { isoTimestamp } from '../../shared/timestamp.ts';

// created_at to the microsecond, as Postgres keeps it: a millisecond cursor would skip or
// repeat rows created within the same millisecond.
const transactionPosition = z.tuple([
  z.iso.datetime({ precision: 6 }).refine((value) => !value.startsWith('0000-')),
  z.string().min(1),
]);

/** `GET /transactions` (SPEC §3 reconciliation): from is inclusive, to exclusive. */
export const transactionsQuery = z
  .object({
    from: isoTimestamp.optional(),
    to: isoTimestamp.optional(),
    roundId: z.uuid().optional(),
    playerId: playerIdSchema.optional(),
    cursor: cursorSchema.pipe(transactionPosition).optional(),
    limit: limitSchema,
  })
  .strict();

/** One wallet call the RGS made (`TransactionView`), with its result and retries. */
const transactionView = z
  .object({
    id: z.string().meta({ description: 'the transaction id sent to the wallet (derived from the bet id)' }),
    kind: z.enum(['debit', 'credit', 'rollback']),
    betId: z.uuid(),
    roundId: z.uuid(),
    playerId: playerIdSchema,
    debitTransactionId: z.string().nullable(),
    amount: z.int().min(0),
    currency: currencySchema,
    status: z.enum(['pending', 'applied', 'refused', 'failed']),
    resultCode: z.string().nullable(),
    attempts: z.int().min(0),
    lastError: z.string().nullable(),
    nextAttemptAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'WalletTransaction' });

export const transactionsPage = pageSchema(transactionView);

export type TransactionsQuery = z.infer<typeof transactionsQuery>;
