import type { Redis } from 'ioredis';

/** The operator's Redis Stream (ioredis adds REDIS_PREFIX). */
export const streamKey = (operatorId: string) => `stream:${operatorId}`;
const relayedKey = (eventId: string) => `relayed:${eventId}`;

// Appends an event once: the event id → stream id mapping is recorded next to the append,
// so a second relay of the same event (a node died between XADD and marking the row
// relayed) returns the first entry id instead of appending a duplicate.
// Retention (SPEC §7): trim only entries that are both beyond the length bound and older
// than the age bound, so at least max(24 h, 100,000 events) stays.
const APPEND_ONCE = `
local existing = redis.call('GET', KEYS[2])
if existing then return existing end
local id = redis.call('XADD', KEYS[1], '*', 'event', ARGV[1])
redis.call('SET', KEYS[2], id, 'PX', ARGV[4])
local excess = redis.call('XLEN', KEYS[1]) - tonumber(ARGV[2])
if excess > 0 then
  local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', math.min(excess, 100))
  for _, entry in ipairs(oldest) do
    local ms = tonumber(string.match(entry[1], '^(%d+)'))
    if ms >= tonumber(ARGV[3]) then break end
    redis.call('XDEL', KEYS[1], entry[1])
  end
end
return id`;

// The event id → entry id mark only has to outlive the gap between an append and the
// commit that marks the row relayed (a relay pass that died, or a Postgres crash that lost
// that asynchronous commit and recovered): minutes, not the stream's retention, or Redis
// would hold one key per event for a day.
const RELAYED_MARK_TTL_MS = 30 * 60_000;

export interface StreamRetention {
  maxLen: number;
  retentionMs: number;
}

/** A connection or pipeline with the `appendEventOnce` script defined (EVALSHA, loaded on demand). */
interface AppendCapable {
  appendEventOnce(stream: string, relayed: string, event: string, maxLen: number, cutoffMs: number, ttlMs: number): unknown;
}

export function defineAppendOnce(redis: Redis): void {
  redis.defineCommand('appendEventOnce', { numberOfKeys: 2, lua: APPEND_ONCE });
}

/** Queues the idempotent append of one event on a pipeline of a connection passed to `defineAppendOnce`. */
export function appendEventOnce(
  pipeline: ReturnType<Redis['pipeline']>,
  event: { id: string; operatorId: string; json: string },
  retention: StreamRetention,
): void {
  (pipeline as unknown as AppendCapable).appendEventOnce(
    streamKey(event.operatorId),
    relayedKey(event.id),
    event.json,
    retention.maxLen,
    Date.now() - retention.retentionMs,
    RELAYED_MARK_TTL_MS,
  );
}
