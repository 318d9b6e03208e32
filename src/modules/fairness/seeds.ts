import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes as 64 lowercase hex characters (SPEC §5). Secret until rotated. */
export function generateServerSeed(): string {
  return randomBytes(32).toString('hex');
}

/**
 * hex(sha256) of the seed's 64 ASCII characters — not of the 32 bytes they encode —
 * so a player can check it with any sha256 tool on the revealed text (§5).
 */
export function hashServerSeed(serverSeed: string): string {
  return createHash('sha256').update(serverSeed, 'utf8').digest('hex');
}

/** The default client seed when the player brings none: 16 lowercase hex characters. */
export function generateClientSeed(): string {
  return randomBytes(8).toString('hex');
}
