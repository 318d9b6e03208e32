import type { StreamEntry } from './entries.ts';

/** What a connection asked for (SPEC §7 `types=` and `playerId=`); absent means everything. */
export interface EventFilter {
  /** Exact type names, or `prefix.*` wildcards. */
  types?: string[];
  playerId?: string;
}

export type EntryMatcher = (entry: StreamEntry) => boolean;

/** Compiles a filter once per connection; it then runs for every entry fanned out to it. */
export function compileFilter(filter: EventFilter): EntryMatcher {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const token of filter.types ?? []) {
    if (token.endsWith('.*')) prefixes.push(token.slice(0, -1));
    else exact.add(token);
  }
  const anyType = filter.types === undefined;
  const { playerId } = filter;
  return (entry) =>
    (playerId === undefined || entry.playerId === playerId) &&
    (anyType || exact.has(entry.type) || prefixes.some((prefix) => entry.type.startsWith(prefix)));
}
