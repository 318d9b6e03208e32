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

/**
 * DEMO ONLY — an operator nobody integrates with: the document's admin examples update it
 * and rotate its key (src/http/openapi/examples.ts), so "Try it out" on the admin /docs
 * never takes a key the README or the demo operators' users rely on. Each `npm start`
 * gives it back its demo key.
 */
export const DEMO_SPARE_OPERATOR = { id: '00000000-0000-4000-8000-00000000000c', name: 'demo-casino-spare', apiKey: 'demo-spare-key-LOCAL-ONLY' } as const;

/** Inserts the demo operators, or resets their keys to the demo ones (idempotent). */
export async function seedDemoOperators(em: EntityManager): Promise<void> {
  for (const demo of [...DEMO_OPERATORS, DEMO_SPARE_OPERATOR]) {
    await upsertOperatorKeyHash(em, { id: demo.id, name: demo.name, apiKeyHash: hashApiKey(demo.apiKey) });
  }
}
