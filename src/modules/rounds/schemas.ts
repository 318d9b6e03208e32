import { z } from 'zod';
import { cursorSchema, pageSchema } from '../../shared/pagination.ts';
import { BET_STATES } from '../../../machines/bet.machine.ts';
import { currencySchema, playerIdSchema } from '../../shared/schemas.ts';
import { seedCommitment } from '../sessions/schemas.ts';
import { anyGameConfig, anyGameOutcome } from '../../games/schemas.ts';

export const playerRoundsParams = z.object({ playerId: playerIdSchema }).strict();

// created_at to the microsecond, as Postgres keeps it: a millisecond cursor would skip or
// repeat rounds created within the same millisecond.
const roundPosition = z.tuple([z.iso.datetime({ precision: 6 }).refine((value) => !value.startsWith('0000-')), z.uuid()]);

/** `GET /players/:playerId/rounds` (SPEC §3 game recall): the last rounds, 10 unless asked. */
export const playerRoundsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(10),
    cursor: cursorSchema.pipe(roundPosition).optional(),
  })
  .strict();

/** SPEC §3 round (`RoundView`): everything needed to recompute it (§5), the server seed once revealed; the outcome as its bet's. */
export const roundView = z
  .object({
    id: z.uuid(),
    betId: z.uuid(),
    playerId: playerIdSchema,
    game: z.string(),
    gameVersion: z.string(),
    config: anyGameConfig,
    outcome: anyGameOutcome
      .nullable()
      .meta({ description: "null until the bet's debit is applied (or, for a rejected or cancelled bet, until the seed pair is revealed)" }),
    fairness: seedCommitment.extend({
      serverSeed: z.string().nullable().meta({ description: 'null until the seed pair is rotated' }),
    }),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Round' });

/** A round of game recall (`RecalledRoundView`): the round and the bet it settled, enough to replay it. */
const recalledRound = roundView
  .extend({
    bet: z.object({
      id: z.uuid(),
      amount: z.int().min(1),
      currency: currencySchema,
      params: z.record(z.string(), z.unknown()),
      status: z.enum(BET_STATES),
      payout: z.int().min(0).meta({ description: '0 until the debit is applied, and 0 unless won' }),
    }),
  })
  .meta({ id: 'RecalledRound' });

export const recalledRoundsPage = pageSchema(recalledRound);

export type PlayerRoundsQuery = z.infer<typeof playerRoundsQuery>;
