import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../shared/db.ts';
import type { SecretsKeyring } from '../../shared/secrets-keyring.ts';
import { sealServerSeed } from './sealed-seeds.ts';
import { generateClientSeed, generateServerSeed, hashServerSeed } from './seeds.ts';
import { insertActiveSeedPairIfNone, updateActiveClientSeed } from './store.ts';

/**
 * At session launch, inside its transaction (SPEC §5): gives the player an active seed pair
 * if none is active (a fresh server seed, stored sealed), and sets the client seed given at
 * launch on the active pair. The nonce sequence goes on, so no (seed pair, nonce) is ever
 * reused. Other modules write seed_pairs only through fairness functions like this one.
 */
export async function ensureActiveSeedPair(
  db: Queryable,
  keyring: SecretsKeyring,
  operatorId: string,
  playerId: string,
  clientSeed: string | undefined,
): Promise<void> {
  const serverSeed = generateServerSeed();
  const pairId = randomUUID();
  await insertActiveSeedPairIfNone(db, {
    id: pairId,
    operatorId,
    playerId,
    sealedServerSeed: sealServerSeed(keyring, pairId, serverSeed),
    serverSeedHash: hashServerSeed(serverSeed),
    clientSeed: clientSeed ?? generateClientSeed(),
  });
  if (clientSeed) await updateActiveClientSeed(db, operatorId, playerId, clientSeed);
}
