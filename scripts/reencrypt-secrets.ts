import { parseArgs } from 'node:util';
import { env } from '../src/config/env.ts';
import { openDb } from '../src/shared/db.ts';
import { createSecretsKeyring, previousKeys } from '../src/shared/secrets-keyring.ts';
import { resealOperatorSecrets } from '../src/modules/operators/sealed-secrets.ts';
import { resealServerSeeds } from '../src/modules/fairness/sealed-seeds.ts';

// `npm run secrets:reencrypt` (SPEC §11): seals every wallet/webhook secret and unrevealed
// server seed again under SECRETS_KEY — those still in clear and those sealed under a key
// now listed in SECRETS_KEYS_PREVIOUS — in batches, while nodes keep running. Idempotent:
// a second run finds nothing to do. Once it reports `unopenable: 0`, the previous keys
// can be dropped. Exits 1 when some value opens with no configured key.

const { values } = parseArgs({ options: { 'batch-size': { type: 'string', default: '500' } } });
const batchSize = Number(values['batch-size']);
if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
  console.error('secrets:reencrypt: --batch-size takes a whole number from 1 to 10000');
  process.exit(2);
}

const keyring = createSecretsKeyring(env.SECRETS_KEY, previousKeys(env.SECRETS_KEYS_PREVIOUS));
const db = await openDb(env.DATABASE_URL, 1);
try {
  const options = { mode: 'not-current', batchSize } as const;
  const operators = await resealOperatorSecrets(db, keyring, options);
  const seedPairs = await resealServerSeeds(db, keyring, options);
  // Counts and the key id only: never a value.
  console.log(JSON.stringify({ keyId: keyring.currentKeyId, operators, seedPairs }));
  if (operators.unopenable + seedPairs.unopenable > 0) {
    console.error('secrets:reencrypt: some values were sealed under a key that is neither SECRETS_KEY nor in SECRETS_KEYS_PREVIOUS; they were left as they are');
    process.exitCode = 1;
  }
} finally {
  await db.end();
}
