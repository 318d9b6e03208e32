import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { streamKey } from '../src/modules/events/stream-append.ts';

// The events table no longer says which stream entry an event became (the relay keeps one
// cursor, migrations/0005-event-relay-cursor.ts), and the run restarts Redis empty, so the
// streams cannot be read back afterwards: this follows every operator's stream during the
// run and keeps event id → entry id, the truth the SSE and exactly-once checks compare to.

const BLOCK_MS = 1_000;
const READ_COUNT = 1_000;
const RETRY_MS = 100;

export interface RecordedEntry {
  streamId: string;
  eventId: string;
  /**
   * Counts the recorder's lost connections before this entry (a Redis restart among
   * them). An append whose answer a Redis crash swallowed is appended again to the new,
   * empty Redis: the same event twice, but in two generations.
   */
  generation: number;
}

export interface StreamRecorder {
  /** The operator's entries in stream order, across Redis restarts. */
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

export function startStreamRecorder(options: { redisUrl: string; prefix: string; operatorIds: readonly string[] }): StreamRecorder {
  // Full keys, no keyPrefix: XREAD answers with key names, and these must match them.
  const keys = options.operatorIds.map((operatorId) => `${options.prefix}${streamKey(operatorId)}`);
  const operatorOf = new Map(keys.map((key, index) => [key, options.operatorIds[index]!]));
  const recorded = new Map<string, RecordedEntry[]>(options.operatorIds.map((operatorId) => [operatorId, []]));
  // Position per key. After a restart the streams start over empty, but their new ids are
  // time based and so above every old one: reading on from here loses nothing the new
  // Redis holds (a blocked XREAD that ioredis re-sends after reconnecting is right too).
  const positions = keys.map(() => '0-0');

  const redis = new Redis(options.redisUrl, { connectionName: `${options.prefix}chaos-stream-recorder`, maxRetriesPerRequest: null });
  // Connection errors are expected while Redis is down; the loop below retries.
  redis.on('error', () => undefined);
  let stopped = false;
  let generation = 0;
  // ioredis leaves a command queued while it waits to reconnect, even through disconnect():
  // the loop races each read against this, so stop() returns with Redis down as well.
  let signalStop = () => undefined as void;
  const stopping = new Promise<null>((resolve) => (signalStop = () => resolve(null)));

  async function follow(): Promise<void> {
    while (!stopped) {
      try {
        const reply = await Promise.race([redis.xread('COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', ...keys, ...positions), stopping]);
        for (const [key, entries] of reply ?? []) {
          const operatorId = operatorOf.get(key);
          const index = keys.indexOf(key);
          if (operatorId === undefined || index < 0) continue;
          for (const [streamId, fields] of entries) {
            positions[index] = streamId;
            const eventId = eventIdOf(fields);
            if (eventId !== undefined) recorded.get(operatorId)?.push({ streamId, eventId, generation });
          }
        }
      } catch {
        if (stopped) return;
        generation += 1;
        await sleep(RETRY_MS);
      }
    }
  }
  const following = follow();

  return {
    entries: (operatorId) => recorded.get(operatorId) ?? [],
    async stop() {
      stopped = true;
      signalStop();
      redis.disconnect();
      await following;
    },
  };
}
