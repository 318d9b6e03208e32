import { openServerSeed } from '../../src/modules/fairness/sealed-seeds.ts';
import { createSecretsKeyring } from '../../src/shared/secrets-keyring.ts';

/** The SECRETS_KEY test nodes seal with (startNode passes it). */
export const TEST_SECRETS_KEY = 'test-secrets-key-0123456789abcdef';
export const testKeyring = createSecretsKeyring(TEST_SECRETS_KEY);

/**
 * A seed pair's server seed, as a test that reads the database needs it to predict or
 * replay a roll: stored sealed until the pair is revealed (SPEC §11).
 */
export function serverSeedOf(pair: { id: string; server_seed: string }): string {
  return openServerSeed(testKeyring, pair.id, pair.server_seed);
}
