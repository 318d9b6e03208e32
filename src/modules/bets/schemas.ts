import { z } from 'zod';
import { createdAtPosition, cursorSchema, limitSchema, pageSchema } from '../../shared/pagination.ts';
import { asciiId } from '../../shared/text.ts';
import { GAMES } from '../../games/registry.ts';
import { anyGameOutcome, anyGameParams } from '../../games/schemas.ts';
import { amountSchema, currencySchema, playerIdSchema } from '../../shared/schemas.ts';
import { seedCommitment } from '../sessions/schemas.ts';
import { BET_STATES } from '../../../machines/bet.machine.ts';

const betFields = { sessionToken: z.uuid(), amount: amountSchema };

/**
 * `POST /bets`: one body per game of the registry, told apart by `game`, each with that
 * game's params (strict). An unknown game is refused at `body.game`; bad params at
 * `body.params.<field>`, and only there.
 */
export const placeBetBody = z.discriminatedUnion(
  'game',
  GAMES.map((game) => z.object({ ...betFields, game: z.literal(game.id), params: game.params }).strict()) as [
    z.ZodObject<{ sessionToken: z.ZodUUID; amount: typeof amountSchema; game: z.ZodLiteral<string>; params: z.ZodType }, z.core.$strict>,
  ],
  { error: (issue) => (issue.code === 'invalid_union' ? `game must be one of ${GAMES.map((game) => `"${game.id}"`).join(', ')}` : undefined) },
);

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
    params: anyGameParams,
    roundId: z.uuid(),
    outcome: anyGameOutcome
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

/** A parsed `POST /bets` body: `params` matched the game's schema. */
export interface PlaceBetInput {
  sessionToken: string;
  amount: number;
  game: string;
  params: unknown;
}
export type ListBetsQuery = z.infer<typeof listBetsQuery>;
