import type { Logger } from 'pino';
import type { RgsEvent } from '../events/service.ts';
import { parseStreamId, type StreamId } from './stream-id.ts';

/** One stream entry, parsed once per node and shared by every connection it fans out to. */
export interface StreamEntry {
  id: StreamId;
  type: string;
  playerId: string | undefined;
  /**
   * The SSE frame as bytes, ready to write (SPEC §7: id, event, data): encoded once per
   * node, and the very same Buffer is written to every client it goes to.
   */
  frame: Buffer;
}

/** What XRANGE returns, and XREAD per stream: `[id, [field, value, ...]]`. */
export type RawEntry = [id: string, fields: string[]];

const EVENT_TYPE = /^[a-z_]+(\.[a-z_]+)*$/;

function eventField(fields: string[]): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'event') return fields[i + 1];
  return undefined;
}

/**
 * The entry as a frame, or only its id when it carries no usable event (it is skipped,
 * but readers still move past it). `data:` must be one line: JSON from the relay is, and
 * anything else is re-serialised rather than split into a broken frame.
 */
function parseEntry(raw: RawEntry, logger: Logger): { id: StreamId; entry: StreamEntry | undefined } | undefined {
  const id = parseStreamId(raw[0]);
  if (!id) return undefined;
  const json = eventField(raw[1]);
  try {
    if (json === undefined) throw new Error('no event field');
    const event = JSON.parse(json) as Partial<RgsEvent>;
    if (typeof event.type !== 'string' || !EVENT_TYPE.test(event.type)) throw new Error('no valid event type');
    const playerId = event.data?.playerId;
    const data = /[\r\n]/.test(json) ? JSON.stringify(event) : json;
    return {
      id,
      entry: {
        id,
        type: event.type,
        playerId: typeof playerId === 'string' ? playerId : undefined,
        frame: Buffer.from(`id: ${id.text}\nevent: ${event.type}\ndata: ${data}\n\n`),
      },
    };
  } catch (error) {
    logger.warn({ entryId: raw[0], err: error }, 'stream entry skipped: not an event');
    return { id, entry: undefined };
  }
}

/** Parses a page of raw entries: the usable ones, and the id of the last one read. */
export function parseEntries(raw: RawEntry[], logger: Logger): { entries: StreamEntry[]; lastId: StreamId | undefined } {
  const entries: StreamEntry[] = [];
  let lastId: StreamId | undefined;
  for (const item of raw) {
    const parsed = parseEntry(item, logger);
    if (!parsed) continue;
    lastId = parsed.id;
    if (parsed.entry) entries.push(parsed.entry);
  }
  return { entries, lastId };
}
