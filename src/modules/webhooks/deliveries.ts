import type { Logger } from 'pino';
import type { Queryable } from '../../shared/db.ts';
import type { Enqueuer } from '../../../queues/enqueue.ts';
import type { RelayedEvent } from '../events/relay.ts';
import { insertDeliveries, insertDeliveryWithId } from './store.ts';

/**
 * How long a new delivery is left to its first attempt (sent by the relaying node right
 * after the commit, or by a job enqueued then) before the webhook sweeper may assume that
 * attempt was lost (the node died first). A queued attempt may also start up to this long
 * before its `next_attempt_at`.
 */
export const ENQUEUE_GRACE_MS = 10_000;

/** A delivery just created, with the event it is to send (the relay's JSON of it). */
export interface NewDelivery {
  id: string;
  event: RelayedEvent;
}

/**
 * Creates the webhook deliveries of relayed events inside the caller's transaction (SPEC §7:
 * every committed event reaches the webhook even if the node dies right after the commit).
 * Returns the deliveries it created, each with its event; after commit, the relay hands
 * them to the webhooks service for their first attempt (`sendFirstAttempts`).
 */
export async function createDeliveries(client: Queryable, events: RelayedEvent[]): Promise<NewDelivery[]> {
  if (events.length === 0) return [];
  // Postgres mints the delivery ids, and only for the events that get a delivery (their
  // operator has a webhook URL): the node sends only each event's id and operator.
  const rows = await insertDeliveries(client, events, ENQUEUE_GRACE_MS);
  const byId = new Map(events.map((event) => [event.id, event]));
  return rows.map((row) => ({ id: row.id, event: byId.get(row.event_id)! }));
}

/**
 * Enqueues the first attempt of each delivery, after the commit that created them.
 * Never throws: a delivery whose job could not be enqueued is picked up by the webhook
 * sweeper once ENQUEUE_GRACE_MS has passed.
 */
export async function enqueueDeliveries(enqueuer: Enqueuer, ids: string[], logger: Pick<Logger, 'warn'>): Promise<void> {
  const results = await Promise.allSettled(ids.map((deliveryId) => enqueuer.enqueue('webhook', { deliveryId, round: 0 })));
  const failed = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed.length) logger.warn({ err: failed[0]?.reason, count: failed.length }, 'webhook deliveries not enqueued; the webhook sweeper will pick them up');
}

/**
 * DEMO ONLY — for `npm start`'s demo data (src/demo/demo-data.ts), which refuses
 * NODE_ENV=production: the delivery of the bet's first `type` event with the id the
 * document's redelivery example names, as the relay would have made it (pending, due now).
 * Made before any relay pass sees the event, so the relay's own insert for it is then a
 * no-op; idempotent (an event has one delivery). False if none was made.
 */
export async function createDeliveryWithId(client: Queryable, delivery: { id: string; operatorId: string; betId: string; type: string }): Promise<boolean> {
  return insertDeliveryWithId(client, delivery);
}
