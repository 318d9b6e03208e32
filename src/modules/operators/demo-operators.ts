import type { EntityManager } from '@mikro-orm/postgresql';
import { hashApiKey } from './api-keys.ts';
import { upsertOperatorKeyHash } from './store.ts';

/**
 * DEMO ONLY — LOCAL DEVELOPMENT KEYS. These operators and keys exist so that
 * `npm start` and the README's curl session work on a fresh machine. `npm run seed`
 * refuses to run with NODE_ENV=production.
 */
export const DEMO_OPERATORS = [
  { id: '00000000-0000-4000-8000-00000000000a', name: 'demo-casino-alpha', apiKey: 'demo-alpha-key-LOCAL-ONLY' },
  { id: '00000000-0000-4000-8000-00000000000b', name: 'demo-casino-beta', apiKey: 'demo-beta-key-LOCAL-ONLY' },
] as const;

/** Inserts the demo operators, or resets their keys to the demo ones (idempotent). */
export async function seedDemoOperators(em: EntityManager): Promise<void> {
  for (const demo of DEMO_OPERATORS) {
    await upsertOperatorKeyHash(em, { id: demo.id, name: demo.name, apiKeyHash: hashApiKey(demo.apiKey) });
  }
}
