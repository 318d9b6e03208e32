import type { Logger } from 'pino';
import type { Enqueuer } from '../../../queues/enqueue.ts';
import { ENQUEUE_GRACE_MS, enqueueDeliveries, type NewDelivery } from './deliveries.ts';

/**
 * New deliveries a node holds while its first attempts in flight are at their bound
 * (`firstAttemptsInFlight`); more go through the queue. Each is its event's JSON, a few
 * hundred bytes.
 */
const MAX_FIRST_ATTEMPTS_WAITING = 65_536;

export interface FirstAttemptBounds {
  /** The send's timeout: a first attempt must be able to end before ENQUEUE_GRACE_MS is over. */
  timeoutMs: number;
  /**
   * First attempts a node sends at once (each sending, or waiting for one of the sender's
   * connections). At 256, half of the deliveries of a c=64 bench run with webhooks took the
   * queue, whose path costs a job, a claim and a record per event.
   */
  firstAttemptsInFlight: number;
  /**
   * Of those, at most this many of one operator's (WEBHOOK_FIRST_ATTEMPTS_PER_OPERATOR): a
   * receiver that hangs holds that many, and the other operators' first attempts still go.
   */
  firstAttemptsPerOperator: number;
}

export interface FirstAttemptPump {
  /**
   * The first attempt of deliveries the relay just committed, in this process and in the
   * background; over the in-flight bound they wait their turn, and those that could no
   * longer be sent in time go to the queue instead. Never throws: a delivery no attempt
   * reached is swept after ENQUEUE_GRACE_MS.
   */
  sendFirstAttempts(deliveries: NewDelivery[]): void;
  /** Hands the waiting deliveries to the queue and waits for the attempts already sent. */
  close(): Promise<void>;
}

// First attempts run in the relay's node, off the relay's path: a pass does not wait for
// receivers. They send the event JSON the relay already made, without a claim (see
// `sendFirstAttemptBatch`). Deliveries over the in-flight bound wait here, in order, while
// a first attempt could still end (delivered, or timed out) before ENQUEUE_GRACE_MS is
// over, with a second to spare for the clocks of node and Postgres; those that cannot, take
// the queue, whose attempts claim. An attempt still unrecorded after the grace (sends
// waiting long for one of the sender's connections) may be sent again by the sweeper's:
// delivery is at least once (SPEC §7).
export function createFirstAttemptPump(deps: {
  /** Sends one operator's batch and records it; its rejection is logged, never thrown. */
  attempt: (deliveries: NewDelivery[]) => Promise<void>;
  enqueuer: Enqueuer;
  logger: Logger;
  bounds: FirstAttemptBounds;
}): FirstAttemptPump {
  const { bounds, logger } = deps;
  const firstAttemptWindowMs = ENQUEUE_GRACE_MS - bounds.timeoutMs - 1_000;
  // Per operator, in arrival order: each operator waits for a place among its own first
  // attempts, so one whose receiver hangs never holds up another's (issue #17 point 13).
  const waiting = new Map<string, { delivery: NewDelivery; until: number }[]>();
  let waitingCount = 0;
  const sendingByOperator = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  let sendsInFlight = 0;
  let closing = false;

  function toQueue(deliveries: NewDelivery[]): void {
    if (deliveries.length) void enqueueDeliveries(deps.enqueuer, deliveries.map((delivery) => delivery.id), logger);
  }

  /** Starts the first attempts there is room for; the ones that waited too long take the queue. */
  function pump(): void {
    const now = Date.now();
    const expired: NewDelivery[] = [];
    for (const [operatorId, line] of waiting) {
      let count = 0;
      while (count < line.length && line[count]!.until <= now) count += 1;
      if (count === 0) continue;
      expired.push(...line.splice(0, count).map((entry) => entry.delivery));
      waitingCount -= count;
      if (line.length === 0) waiting.delete(operatorId);
    }
    toQueue(expired);
    if (closing) return;
    for (const [operatorId, line] of waiting) {
      const room = Math.min(
        bounds.firstAttemptsInFlight - sendsInFlight,
        bounds.firstAttemptsPerOperator - (sendingByOperator.get(operatorId) ?? 0),
      );
      if (room <= 0) continue;
      const batch = line.splice(0, room).map((entry) => entry.delivery);
      waitingCount -= batch.length;
      if (line.length === 0) waiting.delete(operatorId);
      start(operatorId, batch);
    }
  }

  /** One operator's first attempts: recorded together once all of them ended, apart from any other operator's. */
  function start(operatorId: string, batch: NewDelivery[]): void {
    sendsInFlight += batch.length;
    sendingByOperator.set(operatorId, (sendingByOperator.get(operatorId) ?? 0) + batch.length);
    const attempt = deps
      .attempt(batch)
      .catch((error: unknown) => logger.warn({ err: error, count: batch.length }, 'first webhook attempts failed; the webhook sweeper will retry them'))
      .finally(() => {
        sendsInFlight -= batch.length;
        const left = (sendingByOperator.get(operatorId) ?? 0) - batch.length;
        if (left > 0) sendingByOperator.set(operatorId, left);
        else sendingByOperator.delete(operatorId);
        inFlight.delete(attempt);
        pump();
      });
    inFlight.add(attempt);
  }

  function sendFirstAttempts(deliveries: NewDelivery[]): void {
    if (deliveries.length === 0) return;
    if (closing || firstAttemptWindowMs <= 0) return toQueue(deliveries);
    const until = Date.now() + firstAttemptWindowMs;
    const room = Math.max(0, MAX_FIRST_ATTEMPTS_WAITING - waitingCount);
    for (const delivery of deliveries.slice(0, room)) {
      const operatorId = delivery.event.operatorId;
      let line = waiting.get(operatorId);
      if (!line) waiting.set(operatorId, (line = []));
      line.push({ delivery, until });
    }
    waitingCount += Math.min(room, deliveries.length);
    toQueue(deliveries.slice(room));
    pump();
  }

  return {
    sendFirstAttempts,
    async close() {
      // Deliveries still waiting go to the queue, for whichever node runs workers; first
      // attempts already sent get recorded (each send is bounded by its timeout).
      closing = true;
      const left = [...waiting.values()].flat().map((entry) => entry.delivery.id);
      waiting.clear();
      waitingCount = 0;
      if (left.length) await enqueueDeliveries(deps.enqueuer, left, logger);
      await Promise.allSettled([...inFlight]);
    },
  };
}
