import { z } from 'zod';

// SPEC §6: the mock's environment, parsed once at start. A bad value stops the process
// with a message naming the variable.

const wholeNumber = z.string().regex(/^\d+$/, 'a whole number').transform(Number);

const secrets = z
  .string()
  .transform((raw) => raw.split(',').map((secret) => secret.trim()).filter(Boolean))
  // Several operators may share one mock, each signing with its own secret.
  .pipe(z.array(z.string()).min(1, 'at least one secret (comma-separated list)'));

const envSchema = z.object({
  // 0 asks the OS for a free port; the actual one is in the "walletmock listening" line.
  PORT: wholeNumber.pipe(z.int().min(0).max(65535)).default(4000),
  WALLET_SECRET: secrets.default(['demo-wallet-secret-LOCAL-ONLY']),
  WALLET_START_BALANCE: wholeNumber.pipe(z.int()).default(100_000_000),
  // Credit transaction ids (`<betId>:credit`, comma-separated) the mock refuses every time:
  // `npm start` gives its demo a parked credit this way (src/demo/demo-data.ts). From the
  // environment, so a restarted mock, which has forgotten everything else, still refuses them.
  WALLET_REFUSED_CREDITS: z
    .string()
    .default('')
    .transform((raw) => raw.split(',').map((id) => id.trim()).filter(Boolean))
    .pipe(z.array(z.string().max(200))),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface WalletMockConfig {
  port: number;
  secrets: string[];
  startBalance: number;
  refusedCredits: string[];
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
}

/** Parses an environment; throws an Error whose message names every bad variable. */
export function parseWalletMockEnv(source: NodeJS.ProcessEnv): WalletMockConfig {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid walletmock environment:\n${lines.join('\n')}`);
  }
  const env = result.data;
  return { port: env.PORT, secrets: env.WALLET_SECRET, startBalance: env.WALLET_START_BALANCE, refusedCredits: env.WALLET_REFUSED_CREDITS, logLevel: env.LOG_LEVEL };
}
