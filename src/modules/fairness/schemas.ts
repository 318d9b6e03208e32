import { z } from 'zod';

const FAIR_GAMES = ['dice'] as const;
export type FairGame = (typeof FAIR_GAMES)[number];

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
    game: z.enum(FAIR_GAMES, { error: 'game must be "dice"' }),
    serverSeed: serverSeedSchema,
    clientSeed: clientSeedSchema,
    nonce: z
      .string()
      .regex(/^[0-9]{1,16}$/, { error: 'nonce must be a non-negative integer' })
      .transform(Number)
      .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER, { error: 'nonce is too large' })),
  })
  .strict();
