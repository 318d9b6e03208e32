import { z } from 'zod';
import { asciiId } from '../../shared/text.ts';

// Printable ASCII only: ids and seeds end up in HMAC messages and logs (SPEC §5).
const printable = /^[\x20-\x7E]+$/;

export const playerIdSchema = asciiId(128);
export const currencySchema = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR');
export const jurisdictionSchema = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code such as MT');
export const clientSeedSchema = z.string().min(1).max(64).regex(printable, '1–64 printable characters');

export const launchBody = z
  .object({
    playerId: playerIdSchema,
    currency: currencySchema,
    jurisdiction: jurisdictionSchema,
    clientSeed: clientSeedSchema.optional(),
  })
  .strict();

export const sessionTokenParams = z.object({ token: z.uuid() }).strict();

/** Routes that take no body accept none or an empty object. */
export const emptyBody = z.union([z.undefined(), z.object({}).strict()]);

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
