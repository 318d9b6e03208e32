import { z } from 'zod';
import { clientSeedSchema as chosenClientSeed } from '../../shared/schemas.ts';
import { seedCommitment } from '../sessions/schemas.ts';

const FAIR_GAMES = ['dice'] as const;
export type FairGame = (typeof FAIR_GAMES)[number];

const serverSeedSchema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { error: 'serverSeed must be 64 lowercase hex characters' });

/** 1–64 printable ASCII characters (§5): the same bytes whatever encoding a verifier uses. */
const clientSeedSchema = z
  .string()
  .regex(/^[\x20-\x7e]{1,64}$/, { error: 'clientSeed must be 1–64 printable ASCII characters' });

/**
 * A pattern for 1–`max.length` decimal digits whose value is at most `max` (leading zeros
 * allowed): shorter strings always are; one as long as `max` is when it does not exceed it
 * digit by digit, which is what the alternatives spell out.
 */
function decimalAtMost(max: string): string {
  const sameLength = [...max].map((digit, index) => {
    const rest = max.length - index - 1;
    return digit === '0' ? '' : `${max.slice(0, index)}[0-${Number(digit) - 1}][0-9]{${rest}}`;
  });
  return `^(?:[0-9]{1,${max.length - 1}}|${[...sameLength.filter(Boolean), max].join('|')})$`;
}

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
      .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER, { error: 'nonce is too large' }))
      .meta({
        description: 'decimal digits, at most 9007199254740991 (Number.MAX_SAFE_INTEGER)',
        pattern: decimalAtMost(String(Number.MAX_SAFE_INTEGER)),
      }),
  })
  .strict();

/** `POST /sessions/:token/seeds/rotate` with a body: the new client seed (random when absent). */
export const rotateSeedsFields = z.object({ clientSeed: chosenClientSeed.optional() }).strict();

/** No body, `{}`, or `{clientSeed}`. */
export const rotateSeedsBody = z.union([z.undefined(), rotateSeedsFields]);

/** The `GET /fairness/verify` answer (`VerifiedOutcome`): the outcome recomputed from revealed seeds alone. */
export const verifiedOutcome = z
  .object({
    game: z.enum(FAIR_GAMES),
    gameVersion: z.string(),
    serverSeedHash: z.string().regex(/^[0-9a-f]{64}$/),
    clientSeed: z.string(),
    nonce: z.int().min(0),
    outcome: z.object({ roll: z.number().min(0).max(100) }),
  })
  .meta({ id: 'VerifiedOutcome' });

/** SPEC §3 rotate (`SeedRotation`): the revealed pair and how many nonces it used, and the new commitment. */
export const seedRotation = z
  .object({
    previous: seedCommitment.extend({ serverSeed: z.string().regex(/^[0-9a-f]{64}$/) }),
    current: seedCommitment,
  })
  .meta({ id: 'SeedRotation' });
