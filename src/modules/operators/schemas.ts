import { z } from 'zod';
import { pageSchema } from '../../shared/pagination.ts';
import { plainText } from '../../shared/text.ts';
import { gameSettingsPatch } from '../../games/settings.ts';

// `format: uri` alone admits urn:, ftp: and the like: the pattern says http(s), a host (a name
// or a bracketed IPv6 address) and a port up to 65535 to JSON Schema validators. The rest of
// what the WHATWG URL parser checks (IPv4 numbers, punycode) is in the description.
const PORT = '(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])';
const HTTP_URL_PATTERN = `^[Hh][Tt][Tt][Pp][Ss]?://(?:\\[[0-9A-Fa-f:.]+\\]|[^\\s/?#@%:\\[\\]]+)(?::${PORT})?(?:[/?#]\\S*)?$`;
const httpUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .meta({
    pattern: HTTP_URL_PATTERN,
    description: 'an absolute http(s) URL; its host must also parse as a WHATWG URL host (an IPv4 address in range, valid punycode)',
  });
const secret = z.string().min(16).max(256);

export const createOperatorBody = z
  .object({
    name: plainText(100),
    walletUrl: httpUrl.optional(),
    walletSecret: secret.optional(),
    webhookUrl: httpUrl.optional(),
    webhookSecret: secret.optional(),
    rateLimitPerSecond: z.int().min(1).max(1_000_000).optional(),
  })
  .strict();

export const patchOperatorBody = z
  .object({
    name: plainText(100).optional(),
    walletUrl: httpUrl.nullable().optional(),
    walletSecret: secret.nullable().optional(),
    webhookUrl: httpUrl.nullable().optional(),
    webhookSecret: secret.nullable().optional(),
    rateLimitPerSecond: z.int().min(1).max(1_000_000).nullable().optional(),
    games: gameSettingsPatch.optional(),
  })
  .strict();

/** The admin view of an operator (`OperatorView`): whether secrets are set, never their values (SPEC §11). */
export const operatorView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    walletUrl: z.string().nullable(),
    walletSecretSet: z.boolean(),
    webhookUrl: z.string().nullable(),
    webhookSecretSet: z.boolean(),
    rateLimitPerSecond: z.int().nullable(),
    games: z.object({
      enabled: z.array(z.string()).meta({ description: 'the games this operator offers (a new operator has every game)' }),
      config: z.record(z.string(), z.record(z.string(), z.unknown())).meta({ description: "every game's config in force, by game id" }),
    }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Operator' });

export const operatorsPage = pageSchema(operatorView);

const apiKey = z.string().meta({ description: 'shown once: only its hash is stored' });

/** `POST /admin/operators` answer: the new operator's API key, shown this once. */
export const createdOperator = z.object({ id: z.uuid(), name: z.string(), apiKey }).meta({ id: 'CreatedOperator' });

/** `POST /admin/operators/:id/keys/rotate` answer: the new key (the old one stops working). */
export const rotatedApiKey = z.object({ apiKey }).meta({ id: 'RotatedApiKey' });

export type CreateOperatorInput = z.infer<typeof createOperatorBody>;
export type PatchOperatorInput = z.infer<typeof patchOperatorBody>;
