import { z } from 'zod';
import { createdAtPosition, cursorSchema, limitSchema, pageSchema } from '../../shared/pagination.ts';
import { asciiId } from '../../shared/text.ts';
import { diceParams } from '../fairness/dice.ts';
import { amountSchema, currencySchema, playerIdSchema } from '../../shared/schemas.ts';
import { seedCommitment } from '../sessions/schemas.ts';
import { BET_STATES } from '../../../machines/bet.machine.ts';

export const placeBetBody = z
  .object({
    sessionToken: z.uuid(),
    amount: amountSchema,
    game: z.literal('dice'),
    params: diceParams,
  })
  .strict();

export const idempotencyKeyRequired = z.object({ 'idempotency-key': asciiId(255) });

export const listBetsQuery = z
  .object({
    playerId: playerIdSchema.optional(),
    status: z.enum(BET_STATES).optional(),
    cursor: cursorSchema.pipe(createdAtPosition).optional(),
    limit: limitSchema,
  })
  .strict();

/**
 * SPEC §3 bet shape (`BetView`): `history` is every state the bet went through. SPEC §5:
 * `outcome` is null and `payout` 0 until the debit is applied; a rejected or cancelled bet
 * shows its outcome once its seed pair is revealed, and its payout stays 0.
 */
export const betView = z
  .object({
    id: z.uuid(),
    status: z.enum(BET_STATES),
    playerId: playerIdSchema,
    amount: amountSchema,
    currency: currencySchema,
    payout: z.int().min(0).meta({ description: '0 until the debit is applied, and 0 unless won' }),
    game: z.string(),
    params: diceParams,
    roundId: z.uuid(),
    outcome: z
      .object({ roll: z.number().min(0).max(100), win: z.boolean() })
      .nullable()
      .meta({ description: 'null until the debit is applied (or, for a rejected or cancelled bet, until its seed pair is revealed)' }),
    fairness: seedCommitment,
    rejectReason: z.string().optional(),
    createdAt: z.iso.datetime(),
    settledAt: z.iso.datetime().nullable(),
    history: z.array(z.object({ state: z.enum(BET_STATES), at: z.iso.datetime() })),
  })
  .meta({ id: 'Bet' });

export const betsPage = pageSchema(betView);

export type PlaceBetInput = z.infer<typeof placeBetBody>;
export type ListBetsQuery = z.infer<typeof listBetsQuery>;
