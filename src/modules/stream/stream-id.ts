/**
 * Redis Stream entry ids (`<ms>-<seq>`, two unsigned 64-bit integers). They order by ms,
 * then seq, numerically: "9-0" < "10-0", which a string comparison gets wrong.
 */
export interface StreamId {
  ms: bigint;
  seq: bigint;
  /** Canonical text (no leading zeros), as Redis prints it. */
  text: string;
}

const MAX_PART = 2n ** 64n - 1n;
const ID_PATTERN = /^(\d{1,20})(?:-(\d{1,20}))?$/;

export const ZERO_ID: StreamId = { ms: 0n, seq: 0n, text: '0-0' };

/** A Redis entry id, or undefined if it is not one (a bare `<ms>` means `<ms>-0`, as in XREAD). */
export function parseStreamId(raw: string): StreamId | undefined {
  const match = ID_PATTERN.exec(raw);
  if (!match?.[1]) return undefined;
  const ms = BigInt(match[1]);
  const seq = BigInt(match[2] ?? '0');
  if (ms > MAX_PART || seq > MAX_PART) return undefined;
  return { ms, seq, text: `${ms}-${seq}` };
}

/** Negative, zero or positive, as `a` sorts before, with or after `b`. */
export function compareIds(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

export function isZero(id: StreamId): boolean {
  return id.ms === 0n && id.seq === 0n;
}

/** Where a connection starts: live, after a given entry, or live after telling it its id was unusable. */
export type StreamResume = { kind: 'live' } | { kind: 'after'; id: StreamId } | { kind: 'invalid' };

/**
 * SPEC §7: the `Last-Event-ID` header wins over the `lastEventId` query. An empty value
 * means none (EventSource sends none before its first event). A value that is not an
 * entry id is not a request error: EventSource would give up for good on a 4xx, so the
 * connection answers 200 and says `stream.reset` instead.
 */
export function resumeFrom(header: string | undefined, query: unknown): StreamResume {
  const raw = header !== undefined && header !== '' ? header : query;
  if (raw === undefined || raw === '') return { kind: 'live' };
  const id = typeof raw === 'string' ? parseStreamId(raw) : undefined;
  return id ? { kind: 'after', id } : { kind: 'invalid' };
}
