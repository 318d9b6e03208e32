import type { OperatorContext } from './service.ts';

export interface OperatorCacheOptions {
  /** How long an entry may be used; changes are announced, this only bounds a missed announcement. */
  ttlMs: number;
  /** How many unknown keys are remembered at most; past it the oldest is forgotten first. */
  maxUnknownKeys: number;
  now?: () => number;
}

export interface OperatorCache {
  /** The operator cached under `cacheKey` (`key:<hash>` or `id:<uuid>`), if still fresh. */
  operator(cacheKey: string): OperatorContext | undefined;
  rememberOperator(cacheKey: string, operator: OperatorContext): void;
  /** Whether the key with this hash was looked up lately and belonged to no operator. */
  isUnknownKey(keyHash: string): boolean;
  rememberUnknownKey(keyHash: string): void;
  clear(): void;
}

/**
 * What a node remembers of operators between database lookups (SPEC §11, "unknown keys
 * cost little"). Known operators and unknown keys live apart: known entries come only from
 * real operators' rows (two per operator at most), while unknown keys are whatever a
 * client makes up, so they get a bounded map of their own whose oldest entry goes first.
 * A spray of random keys can churn that map; it can never push a real operator's key out
 * of the other one and send its traffic to the database.
 */
export function createOperatorCache(options: OperatorCacheOptions): OperatorCache {
  const now = options.now ?? Date.now;
  const known = new Map<string, { operator: OperatorContext; expiresAt: number }>();
  const unknownKeys = new Map<string, number>();

  return {
    operator(cacheKey) {
      const hit = known.get(cacheKey);
      if (!hit) return undefined;
      if (hit.expiresAt > now()) return hit.operator;
      known.delete(cacheKey);
      return undefined;
    },
    rememberOperator(cacheKey, operator) {
      known.set(cacheKey, { operator, expiresAt: now() + options.ttlMs });
    },
    isUnknownKey(keyHash) {
      const expiresAt = unknownKeys.get(keyHash);
      if (expiresAt === undefined) return false;
      if (expiresAt > now()) return true;
      unknownKeys.delete(keyHash);
      return false;
    },
    rememberUnknownKey(keyHash) {
      // Re-inserted, so a key seen again counts as the newest.
      unknownKeys.delete(keyHash);
      if (unknownKeys.size >= options.maxUnknownKeys) unknownKeys.delete(unknownKeys.keys().next().value!);
      unknownKeys.set(keyHash, now() + options.ttlMs);
    },
    clear() {
      known.clear();
      unknownKeys.clear();
    },
  };
}
