import { z } from 'zod';
import { clientSeedSchema, currencySchema, jurisdictionSchema, playerIdSchema } from '../../shared/schemas.ts';
import { asciiId } from '../../shared/text.ts';

export const launchBody = z
  .object({
    playerId: playerIdSchema,
    currency: currencySchema,
    jurisdiction: jurisdictionSchema,
    clientSeed: clientSeedSchema.optional(),
  })
  .strict();

export const sessionTokenParams = z.object({ token: z.uuid() }).strict();

export const idempotencyKeyHeader = z.object({ 'idempotency-key': asciiId(255).optional() });

export type LaunchInput = z.infer<typeof launchBody>;

const timestamp = z.iso.datetime();

/** The seed pair a player bets with now (SPEC §5): the server seed only as its hash. */
export const seedCommitment = z
  .object({
    serverSeedHash: z.string().regex(/^[0-9a-f]{64}$/),
    clientSeed: z.string(),
    nonce: z.int().min(0),
  })
  .meta({ id: 'SeedCommitment' });

/** SPEC §3: the session as launch, verify and revoke return it (`SessionView`). */
export const sessionView = z
  .object({
    sessionToken: z.uuid(),
    playerId: playerIdSchema,
    currency: currencySchema,
    jurisdiction: jurisdictionSchema,
    status: z.enum(['active', 'revoked', 'expired']),
    active: z.boolean(),
    expiresAt: timestamp,
    createdAt: timestamp,
    revokedAt: timestamp.nullable(),
    fairness: seedCommitment,
  })
  .meta({ id: 'Session' });
