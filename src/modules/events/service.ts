import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../shared/db.ts';
import type { BetEventType } from '../../../machines/bet.machine.ts';
import { insertEvents } from './store.ts';

/** SPEC §7 event types: the bet machine's own, plus those the sessions and placement write. */
export type EventType = BetEventType | 'session.launched' | 'session.revoked' | 'round.created';

export interface NewEvent {
  type: EventType;
  playerId?: string;
  betId?: string;
  data: Record<string, unknown>;
}

/** The event as operators receive it on SSE and webhooks. */
export interface RgsEvent {
  id: string;
  type: EventType;
  operatorId: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

/**
 * Records events in the caller's transaction, so an event exists only if the change it
 * reports was committed (SPEC §7). A relay publishes committed rows later.
 */
export async function recordEvents(db: Queryable, operatorId: string, events: NewEvent[]): Promise<RgsEvent[]> {
  if (events.length === 0) return [];
  const occurredAt = new Date().toISOString();
  const recorded = events.map((event) => ({
    id: randomUUID(),
    type: event.type,
    operatorId,
    occurredAt,
    data: event.data,
  }));
  await insertEvents(db, operatorId, occurredAt, recorded, events);
  return recorded;
}
