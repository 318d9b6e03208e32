import type { Queryable } from '../../shared/db.ts';
import type { SecretsKeyring } from '../../shared/secrets-keyring.ts';
import { newSeedPair } from './sealed-seeds.ts';
import { insertActiveSeedPairIfNone, updateActiveClientSeed } from './store.ts';

/**
 * At session launch, inside its transaction (SPEC §5): gives the player an active seed pair
 * if none is active (a fresh server seed, stored sealed), and sets the client seed given at
 * launch on the active pair. The nonce sequence goes on, so no (seed pair, nonce) is ever
 * reused. Other modules write seed_pairs only through fairness functions like this one.
 * `serverSeed` is given only by `npm start`'s demo data (src/demo), never by a request.
 */
export async function ensureActiveSeedPair(
  db: Queryable,
  keyring: SecretsKeyring,
  operatorId: string,
  playerId: string,
  clientSeed: string | undefined,
  serverSeed?: string,
): Promise<void> {
  await insertActiveSeedPairIfNone(db, newSeedPair(keyring, { operatorId, playerId, clientSeed }, serverSeed));
  if (clientSeed) await updateActiveClientSeed(db, operatorId, playerId, clientSeed);
}
