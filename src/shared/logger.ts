import { pino, type Logger } from 'pino';
import { env } from '../config/env.ts';

// SPEC §9/§11: JSON logs with the node id; keys, signatures and secrets never reach a line.
export const logger: Logger = pino({
  level: env.LOG_LEVEL,
  base: { nodeId: env.NODE_ID },
  redact: {
    paths: [
      'req.headers["x-operator-key"]',
      'req.headers.authorization',
      'req.headers.cookie',
      '*.apiKey',
      '*.walletSecret',
      '*.webhookSecret',
      '*.serverSeed',
      'apiKey',
      'walletSecret',
      'webhookSecret',
      'serverSeed',
    ],
    censor: '[redacted]',
  },
});
