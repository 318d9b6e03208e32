import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from 'ioredis';
import type { RedisTarget } from '../src/config/redis-target.ts';
import { streamKey } from '../src/modules/events/stream-append.ts';
import { connectRedis } from '../src/shared/redis.ts';

// The events table no longer says which stream entry an event became (the relay keeps one
// cursor, migrations/0005-event-relay-cursor.ts), and the run restarts Redis empty, so the
// streams cannot be read back afterwards: this follows every operator's stream during the
// run and keeps event id → entry id, the truth the SSE and exactly-once checks compare to.
//
// On a Redis Cluster a failover loses the entries the dead master had not replicated, and
// the recorder may have read them. It notices (its last entry is no longer in the stream)
// and starts a new generation: the relay appends their events again, and those appends
// are no duplicates.

const BLOCK_MS = 1_000;
const READ_COUNT = 1_000;
const RETRY_MS = 100;

export interface RecordedEntry {
  streamId: string;
  eventId: string;
  /**
   * Counts the recorder's lost connections before this entry (a Redis restart among
   * them) and the failovers it noticed. An append whose answer a Redis crash swallowed is
   * appended again to the new, empty Redis: the same event twice, but in two generations.
   */
  generation: number;
}

export interface StreamRecorder {
  /** The operator's entries in stream order, across Redis restarts and failovers. */
  entries(operatorId: string): readonly RecordedEntry[];
  stop(): Promise<void>;
}

/** The `event` field's id, or undefined: an entry without one is no event (SSE readers skip it too). */
function eventIdOf(fields: string[]): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] !== 'event') continue;
    try {
      const id = (JSON.parse(fields[i + 1]!) as { id?: unknown }).id;
      return typeof id === 'string' ? id : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function startStreamRecorder(options: { target: RedisTarget; prefix: string; operatorIds: readonly string[] }): StreamRecorder {
  const recorded = new Map<string, RecordedEntry[]>(options.operatorIds.map((operatorId) => [operatorId, []]));
  let stopped = false;
  let generation = 0;
  // ioredis leaves a command queued while it waits to reconnect, even through disconnect():
  // each loop races its read against this, so stop() returns with Redis down as well.
  let signalStop = () => undefined as void;
  const stopping = new Promise<null>((resolve) => (signalStop = () => resolve(null)));
  const connections: ReturnType<typeof connectRedis>[] = [];

  // One connection and loop per stream: on a cluster the streams are on different masters
  // (one XREAD cannot name keys of two slots), and a blocked XREAD holds its connection.
  async function follow(operatorId: string): Promise<void> {
    // Full keys, no keyPrefix: XREAD answers with key names.
    const key = `${options.prefix}${streamKey(operatorId)}`;
    const entries = recorded.get(operatorId)!;
    const redis = connectRedis(options.target, { connectionName: `${options.prefix}chaos-stream-recorder`, maxRetriesPerRequest: null });
    connections.push(redis);
    // Connection errors are expected while Redis is down; the loop below retries.
    redis.on('error', () => undefined);
    const cluster = redis instanceof Cluster;
    let mustCheck = false;
    if (cluster) {
      redis.on('-node', () => (mustCheck = true));
      redis.on('+node', () => (mustCheck = true));
    }
    // After a restart the streams start over empty, but their new ids are time based and so
    // above every old one: reading on from here loses nothing the new Redis holds (a
    // blocked XREAD that ioredis re-sends after reconnecting is right too).
    let position = '0-0';

    /** After a failover: whether the master that took over lacks the last entry read (and so the tail after what it had). */
    async function checkTail(): Promise<void> {
      const last = entries.at(-1)?.streamId;
      if (last !== undefined && (await redis.xrange(key, last, last)).length === 0) generation += 1;
    }

    while (!stopped) {
      try {
        if (mustCheck) {
          mustCheck = false;
          await checkTail();
        }
        const reply = await Promise.race([redis.xread('COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', key, position), stopping]);
        // Possibly from the master that took over: look at the tail first, then read again.
        if (mustCheck) continue;
        for (const [, read] of reply ?? []) {
          for (const [streamId, fields] of read) {
            position = streamId;
            const eventId = eventIdOf(fields);
            if (eventId !== undefined) entries.push({ streamId, eventId, generation });
          }
        }
      } catch {
        if (stopped) return;
        generation += 1;
        if (cluster) mustCheck = true;
        await sleep(RETRY_MS);
      }
    }
  }
  const following = Promise.all(options.operatorIds.map(follow));

  return {
    entries: (operatorId) => recorded.get(operatorId) ?? [],
    async stop() {
      stopped = true;
      signalStop();
      for (const redis of connections) redis.disconnect();
      await following;
    },
  };
}
