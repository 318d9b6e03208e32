import type { RedisClient } from '../../shared/redis.ts';
import type { RawEntry } from './entries.ts';
import { compareIds, isZero, parseStreamId, ZERO_ID, type StreamId } from './stream-id.ts';

/** What XINFO STREAM tells about a stream's history (Redis 7). */
export interface StreamInfo {
  length: number;
  /** Entries ever appended: more than `length` once any was trimmed or deleted. */
  entriesAdded: number;
  lastGenerated: StreamId;
  /** The highest id removed by XDEL (XTRIM does not move it); 0-0 when none was. */
  maxDeleted: StreamId;
  firstEntry: StreamId | undefined;
}

function field(reply: unknown[], name: string): unknown {
  const index = reply.indexOf(name);
  return index >= 0 ? reply[index + 1] : undefined;
}

function idField(reply: unknown[], name: string): StreamId {
  const value = field(reply, name);
  return (typeof value === 'string' ? parseStreamId(value) : undefined) ?? ZERO_ID;
}

function parseInfo(reply: unknown): StreamInfo {
  const fields = Array.isArray(reply) ? (reply as unknown[]) : [];
  const length = Number(field(fields, 'length') ?? 0);
  const first = field(fields, 'first-entry');
  return {
    length,
    entriesAdded: Number(field(fields, 'entries-added') ?? length),
    lastGenerated: idField(fields, 'last-generated-id'),
    maxDeleted: idField(fields, 'max-deleted-entry-id'),
    firstEntry: Array.isArray(first) && typeof first[0] === 'string' ? parseStreamId(first[0]) : undefined,
  };
}

const isNoSuchKey = (error: unknown) => error instanceof Error && /no such key/i.test(error.message);

/** The stream's history markers, or undefined when the stream does not exist. */
export async function readStreamInfo(redis: RedisClient, key: string): Promise<StreamInfo | undefined> {
  try {
    return parseInfo(await redis.xinfo('STREAM', key));
  } catch (error) {
    if (isNoSuchKey(error)) return undefined;
    throw error;
  }
}

/**
 * Whether entries after `after` may be missing from the stream (SPEC §7 "never a silent
 * gap"). It is whole when everything after `after` is still there: nothing deleted
 * after it, and `after` not before the first retained entry, unless `after` is exactly
 * the last entry the relay deleted (it trims the oldest entries with XDEL), or `0-0`
 * ("from the very beginning") in a stream that never lost an entry. Otherwise the stream
 * is gone, was trimmed past `after`, or started over after Redis lost it (its ids are
 * below `after`, or it never held `after`).
 *
 * `held` says whether `after` is an entry of the stream (`readHistoryPage` looks), when
 * the caller looked. A Redis Cluster failover loses the entries its master had not
 * replicated yet (replication is asynchronous): the replica that takes over has a stream
 * whose tail is older, and appends after that tail. A client that received a lost entry
 * has an id between the new stream's first and last entries that is not in it, above
 * anything the relay deleted: the stream never held it, and what it holds now is no
 * continuation of what that client saw (the relay appends the lost events again, under
 * new ids).
 */
export function historyLost(info: StreamInfo | undefined, after: StreamId, held?: boolean): boolean {
  if (!info) return !isZero(after);
  if (compareIds(info.lastGenerated, after) < 0) return true;
  if (compareIds(after, info.maxDeleted) < 0) return true;
  if (held === false && info.firstEntry && compareIds(after, info.firstEntry) >= 0 && compareIds(after, info.maxDeleted) > 0) return true;
  const beforeRetained = info.firstEntry ? compareIds(after, info.firstEntry) < 0 : compareIds(after, info.lastGenerated) < 0;
  if (!beforeRetained || compareIds(after, info.maxDeleted) === 0) return false;
  return !(isZero(after) && info.entriesAdded === info.length);
}

/**
 * One page of entries strictly after `after`, read in the same MULTI as the history
 * markers and whether `after` itself is in the stream (`historyLost`'s `held`), so a trim
 * or a failover between "is it all there?" and "read it" cannot go unnoticed.
 */
export async function readHistoryPage(
  redis: RedisClient,
  key: string,
  after: StreamId,
  count: number,
): Promise<{ info: StreamInfo | undefined; held: boolean; raw: RawEntry[] }> {
  const replies = (await redis.multi().xinfo('STREAM', key).xrange(key, `(${after.text}`, '+', 'COUNT', count).xrange(key, after.text, after.text).exec()) ?? [];
  const [infoReply, rangeReply, heldReply] = replies;
  if (!infoReply || !rangeReply || !heldReply) throw new Error('stream history: transaction discarded');
  if (rangeReply[0]) throw rangeReply[0];
  if (heldReply[0]) throw heldReply[0];
  if (infoReply[0] && !isNoSuchKey(infoReply[0])) throw infoReply[0];
  return { info: infoReply[0] ? undefined : parseInfo(infoReply[1]), held: (heldReply[1] as RawEntry[]).length > 0, raw: rangeReply[1] as RawEntry[] };
}
