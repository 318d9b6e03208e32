import { createHash, randomBytes } from 'node:crypto';

/** SPEC §5: 32 random bytes as 64 lowercase hex characters; secret until revealed. */
export function generateServerSeed(): string {
  return randomBytes(32).toString('hex');
}

/** SPEC §5: hex(sha256(serverSeed as its 64 ASCII characters)), shown up front. */
export function hashServerSeed(serverSeed: string): string {
  return createHash('sha256').update(serverSeed, 'ascii').digest('hex');
}

/** A random default client seed for players who bring none. */
export function generateClientSeed(): string {
  return randomBytes(8).toString('hex');
}
