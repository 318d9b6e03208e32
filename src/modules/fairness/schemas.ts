import { z } from 'zod';
import { clientSeedSchema as chosenClientSeed } from '../../shared/schemas.ts';
import { seedCommitment } from '../sessions/schemas.ts';
import { findGame, GAME_IDS, GAMES } from '../../games/registry.ts';
import { anyGameConfig } from '../../games/schemas.ts';

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

/** A query parameter holding JSON (a round's `config` or a bet's `params`, as recall shows them). */
const jsonText = (name: string) =>
  z
    .string()
    .max(1024, { error: `${name} must be at most 1024 characters` })
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: `${name} must be JSON` });
        return z.NEVER;
      }
    });

/**
 * Query of `GET /fairness/verify` (all strings on the wire; nonce is decimal digits). To
 * replay a whole round, give also the round's `config` and the bet's `params` and `amount`
 * (JSON, as recall shows them): the answer then says whether it won and what it paid under
 * that config, whatever the operator's config is now. Each is checked by the game's schema.
 */
export const fairnessVerifyQuery = z
  .object({
    game: z.enum(GAME_IDS, { error: `game must be one of ${GAME_IDS.map((id) => `"${id}"`).join(', ')}` }),
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
    config: jsonText('config').optional().meta({ description: "the round's config (JSON); the game's default when absent" }),
    params: jsonText('params').optional().meta({ description: "the bet's params (JSON): the answer then says whether it won" }),
    amount: z
      .string()
      .regex(/^[1-9][0-9]{0,15}$/, { error: 'amount must be a positive integer' })
      .transform(Number)
      .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER, { error: 'amount is too large' }))
      .optional()
      .meta({
        description: "the bet's amount, with params: the answer then says what it paid",
        // No leading zero, so at least 1: the lookahead, then the same bound as the nonce.
        pattern: `^(?=[1-9])${decimalAtMost(String(Number.MAX_SAFE_INTEGER)).slice(1)}`,
      }),
  })
  .strict()
  .transform((query, ctx) => {
    const game = findGame(query.game)!;
    const config = game.config.safeParse(query.config ?? {});
    if (!config.success) for (const issue of config.error.issues) ctx.addIssue({ ...issue, path: ['config', ...issue.path] } as never);
    const params = query.params === undefined ? undefined : game.params.safeParse(query.params);
    if (params && !params.success) for (const issue of params.error.issues) ctx.addIssue({ ...issue, path: ['params', ...issue.path] } as never);
    if (query.amount !== undefined && query.params === undefined) ctx.addIssue({ code: 'custom', path: ['amount'], message: 'amount needs params' });
    if (!config.success || (params && !params.success)) return z.NEVER;
    return { ...query, config: config.data, params: params?.data };
  });

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
    config: anyGameConfig,
    outcome: z
      .union([...GAMES.map((game) => game.drawnSchema), ...GAMES.map((game) => game.outcomeSchema)] as [z.ZodType, ...z.ZodType[]])
      .meta({ description: 'what the bytes decide; with params, whether the bet won' }),
    payout: z.int().min(0).optional().meta({ description: 'with params and amount: what the bet credited (stake included), 0 on a loss' }),
  })
  .meta({ id: 'VerifiedOutcome' });

/** SPEC §3 rotate (`SeedRotation`): the revealed pair and how many nonces it used, and the new commitment. */
export const seedRotation = z
  .object({
    previous: seedCommitment.extend({ serverSeed: z.string().regex(/^[0-9a-f]{64}$/) }),
    current: seedCommitment,
  })
  .meta({ id: 'SeedRotation' });
