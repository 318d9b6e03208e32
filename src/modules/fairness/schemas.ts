import { z } from 'zod';
import { clientSeedSchema as chosenClientSeed } from '../../shared/schemas.ts';
import { seedCommitment } from '../sessions/schemas.ts';
import { GAME_IDS, GAMES } from '../../games/registry.ts';

const serverSeedSchema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { error: 'serverSeed must be 64 lowercase hex characters' });

/** 1–64 printable ASCII characters (§5): the same bytes whatever encoding a verifier uses. */
const clientSeedSchema = z
  .string()
  .regex(/^[\x20-\x7e]{1,64}$/, { error: 'clientSeed must be 1–64 printable ASCII characters' });

/** Query of `GET /fairness/verify` (all strings on the wire; nonce is decimal digits). */
export const fairnessVerifyQuery = z
  .object({
    game: z.enum(GAME_IDS, { error: `game must be one of ${GAME_IDS.map((id) => `"${id}"`).join(', ')}` }),
    serverSeed: serverSeedSchema,
    clientSeed: clientSeedSchema,
    nonce: z
      .string()
      .regex(/^[0-9]{1,16}$/, { error: 'nonce must be a non-negative integer' })
      .transform(Number)
      .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER, { error: 'nonce is too large' })),
  })
  .strict();

/** `POST /sessions/:token/seeds/rotate` with a body: the new client seed (random when absent). */
export const rotateSeedsFields = z.object({ clientSeed: chosenClientSeed.optional() }).strict();

/** No body, `{}`, or `{clientSeed}`. */
export const rotateSeedsBody = z.union([z.undefined(), rotateSeedsFields]);

/** The `GET /fairness/verify` answer (`VerifiedOutcome`): the outcome recomputed from revealed seeds alone. */
export const verifiedOutcome = z
  .object({
    game: z.enum(GAME_IDS),
    gameVersion: z.string(),
    serverSeedHash: z.string().regex(/^[0-9a-f]{64}$/),
    clientSeed: z.string(),
    nonce: z.int().min(0),
    outcome: z.union(GAMES.map((game) => game.drawnSchema) as [z.ZodType, ...z.ZodType[]]),
  })
  .meta({ id: 'VerifiedOutcome' });

/** SPEC §3 rotate (`SeedRotation`): the revealed pair and how many nonces it used, and the new commitment. */
export const seedRotation = z
  .object({
    previous: seedCommitment.extend({ serverSeed: z.string().regex(/^[0-9a-f]{64}$/) }),
    current: seedCommitment,
  })
  .meta({ id: 'SeedRotation' });
