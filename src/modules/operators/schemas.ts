import { z } from 'zod';
import { plainText } from '../../shared/text.ts';

const httpUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .describe('http(s) URL');
const secret = z.string().min(16).max(256);

export const createOperatorBody = z
  .object({
    name: plainText(1, 100),
    walletUrl: httpUrl.optional(),
    walletSecret: secret.optional(),
    webhookUrl: httpUrl.optional(),
    webhookSecret: secret.optional(),
    rateLimitPerSecond: z.int().min(1).max(1_000_000).optional(),
  })
  .strict();

export const patchOperatorBody = z
  .object({
    name: plainText(1, 100).optional(),
    walletUrl: httpUrl.nullable().optional(),
    walletSecret: secret.nullable().optional(),
    webhookUrl: httpUrl.nullable().optional(),
    webhookSecret: secret.nullable().optional(),
    rateLimitPerSecond: z.int().min(1).max(1_000_000).nullable().optional(),
  })
  .strict();

export const operatorIdParams = z.object({ id: z.uuid() }).strict();

export type CreateOperatorInput = z.infer<typeof createOperatorBody>;
export type PatchOperatorInput = z.infer<typeof patchOperatorBody>;
