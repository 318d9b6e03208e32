import { z } from 'zod';
import { cursorSchema, limitSchema } from '../../http/pagination.ts';
import { asciiId } from '../../shared/text.ts';
import { diceParams } from '../fairness/dice.ts';
import { playerIdSchema } from '../sessions/schemas.ts';
import { BET_STATES } from '../../../machines/bet.machine.ts';

/** SPEC §3 money: a JSON integer, 1 ≤ amount ≤ Number.MAX_SAFE_INTEGER. */
export const amountSchema = z.int().min(1).max(Number.MAX_SAFE_INTEGER);

export const placeBetBody = z
  .object({
    sessionToken: z.uuid(),
    amount: amountSchema,
    game: z.literal('dice'),
    params: diceParams,
  })
  .strict();

export const idempotencyKeyRequired = z.object({ 'idempotency-key': asciiId(255) });

export const betIdParams = z.object({ id: z.uuid() }).strict();

export const listBetsQuery = z
  .object({
    playerId: playerIdSchema.optional(),
    status: z.enum(BET_STATES).optional(),
    cursor: cursorSchema.optional(),
    limit: limitSchema,
  })
  .strict();

export type PlaceBetInput = z.infer<typeof placeBetBody>;
export type ListBetsQuery = z.infer<typeof listBetsQuery>;
