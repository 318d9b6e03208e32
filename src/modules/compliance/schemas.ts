import { z } from 'zod';
import { amountSchema, currencySchema, jurisdictionSchema } from '../../shared/schemas.ts';

// Absent = no limit (SPEC §3 PUT /limits).
const currencyLimits = z
  .object({
    maxBet: amountSchema.optional(),
    dailyLossLimit: amountSchema.optional(),
    dailyWinLimit: amountSchema.optional(),
  })
  .strict();

const MAX_JURISDICTIONS = 250;
const MAX_CURRENCIES = 200;

// The key and count rules, for JSON Schema validators: zod-to-openapi writes a record's
// values but not its keys.
const CURRENCY_KEYS = { propertyNames: { pattern: '^[A-Z]{3}$' }, maxProperties: MAX_CURRENCIES };

const currencyMap = z
  .record(currencySchema, currencyLimits)
  .refine((currencies) => Object.keys(currencies).length <= MAX_CURRENCIES, { error: `at most ${MAX_CURRENCIES} currencies` })
  .meta(CURRENCY_KEYS);

// zod's record drops a "__proto__" key without a word (its prototype-pollution guard), so
// such a body would pass as "no limits" and clear them: refuse it as the bad field it is.
function refuseProtoKey(value: unknown, ctx: z.RefinementCtx): unknown {
  if (typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__')) {
    ctx.addIssue({ code: 'custom', path: ['__proto__'], message: 'not an ISO 4217 code', input: value });
  }
  return value;
}

/** `PUT /limits`: replaces the operator's limits wholesale (SPEC §8). */
export const limitsBody = z
  .object({
    blockedJurisdictions: z
      .array(jurisdictionSchema)
      .max(MAX_JURISDICTIONS)
      .refine((codes) => new Set(codes).size === codes.length, { error: 'jurisdictions must be unique' })
      .meta({ uniqueItems: true })
      .optional(),
    currencies: z.preprocess(refuseProtoKey, currencyMap).optional(),
  })
  .strict();

/** `GET /limits` and `PUT /limits` answer (`Limits`): an empty list or map is no limit. */
export const limitsView = z
  .object({
    blockedJurisdictions: z.array(jurisdictionSchema),
    currencies: z.record(currencySchema, currencyLimits).meta(CURRENCY_KEYS),
  })
  .meta({ id: 'Limits' });

export type LimitsInput = z.infer<typeof limitsBody>;
