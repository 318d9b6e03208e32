import { mulberry32 } from '../walletmock/seeded-random.ts';

/**
 * Every random choice the harness makes comes from here, so CHAOS_SEED replays the same
 * fault and kill schedule, the same bets and the same node choices. Concurrent workers
 * never share a sequence (their interleaving is not reproducible): each bet, retry and
 * schedule entry derives its own stream from the seed and its own coordinates.
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
  /** A 32-bit seed for something else that takes one (the wallet mock's fault RNG). */
  seed(): number;
}

function wrap(next: () => number): Random {
  const random: Random = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick(items) {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
    chance: (probability) => next() < probability,
    seed: () => Math.floor(next() * 2 ** 32),
  };
  return random;
}

/** FNV-1a over the seed and the coordinates: an independent stream per (seed, …coordinates). */
function mix(seed: number, coordinates: readonly (number | string)[]): number {
  let hash = 0x811c9dc5 ^ seed;
  for (const part of [seed, ...coordinates].join(':')) {
    hash ^= part.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function seededRandom(seed: number, ...coordinates: (number | string)[]): Random {
  return wrap(mulberry32(mix(seed, coordinates)));
}
