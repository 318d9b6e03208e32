import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new operator API key: 32 random bytes, so a plain sha256 is a safe at-rest hash. */
export function generateApiKey(): string {
  return `rgs_${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}

/** Constant-time equality of two secrets of any length (compares their digests). */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
