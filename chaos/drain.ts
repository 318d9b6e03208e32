import { setTimeout as sleep } from 'node:timers/promises';
import type { Queryable } from '../src/shared/db.ts';
import { requestJson } from './http.ts';
import type { ChaosOperator } from './operators.ts';
import type { SseFollower } from './sse-follower.ts';
import type { StreamRecorder } from './stream-recorder.ts';

// After the chaos: the wallet is healthy, nothing is killed any more; wait (bounded) until
// the product has finished on its own — every bet final or parked, every event relayed,
// every webhook delivered, every SSE client caught up. The checks come after, whether or
// not this finished: what is left undone is what they report.
//
// One thing is an operator's to do, as in production: a credit the wallet refused is
// parked (`credit_parked`, SPEC §4/§6) until someone forces it with POST /outbox/:id/retry
// once the wallet is healthy. The drain does that, like an operator on call would, and
// counts it; a bet still `credit_parked` at the end is not final and fails the run.

const FINAL_OR_PARKED = "('won', 'lost', 'rejected', 'cancelled', 'parked')";

export interface DrainState {
  openBets: number;
  unrelayedEvents: number;
  pendingDeliveries: number;
  /** Events not yet accepted by their operator's receiver. */
  undeliveredWebhooks: number;
  /** Followers whose last id is not their operator's last recorded stream entry. */
  lagging: number;
}

export async function drainState(db: Queryable, operators: ChaosOperator[], followers: SseFollower[], recorder: StreamRecorder): Promise<DrainState> {
  const [bets, events, deliveries] = await Promise.all([
    db.query<{ n: string }>(`SELECT count(*) AS n FROM bets WHERE status NOT IN ${FINAL_OR_PARKED}`),
    db.query<{ n: string }>('SELECT count(*) AS n FROM unrelayed_events'),
    db.query<{ n: string }>("SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'pending'"),
  ]);
  let undeliveredWebhooks = 0;
  let lagging = 0;
  for (const operator of operators) {
    const { rows } = await db.query<{ id: string }>('SELECT id FROM events WHERE operator_id = $1', [operator.id]);
    const accepted = new Set(operator.receiver.received.filter((hook) => hook.status === 200).map((hook) => hook.headers['x-rgs-event-id']));
    undeliveredWebhooks += rows.filter((row) => !accepted.has(row.id)).length;
    const last = recorder.entries(operator.id).at(-1)?.streamId;
    for (const follower of followers.filter((each) => each.operatorId === operator.id)) if (last && follower.lastEventId !== last) lagging += 1;
  }
  return {
    openBets: Number(bets.rows[0]?.n ?? 0),
    unrelayedEvents: Number(events.rows[0]?.n ?? 0),
    pendingDeliveries: Number(deliveries.rows[0]?.n ?? 0),
    undeliveredWebhooks,
    lagging,
  };
}

const settled = (state: DrainState) => Object.values(state).every((value) => value === 0);

/** Forces the credit of every `credit_parked` bet through a random node, as its operator; returns how many were asked. */
async function forceParkedCredits(db: Queryable, operators: ChaosOperator[], nodeUrls: () => string[]): Promise<number> {
  const { rows } = await db.query<{ id: string; operator_id: string }>("SELECT id, operator_id FROM bets WHERE status = 'credit_parked'");
  let asked = 0;
  for (const bet of rows) {
    const operator = operators.find((each) => each.id === bet.operator_id);
    const urls = nodeUrls();
    const url = urls[Math.floor(Math.random() * urls.length)];
    if (!operator || !url) continue;
    // A node that is down or answers anything else is asked again on the next round.
    const answer = await requestJson('POST', `${url}/outbox/${bet.id}/retry`, { headers: { 'x-operator-key': operator.apiKey }, timeoutMs: 5_000 }).catch(() => undefined);
    if (answer?.status === 202) asked += 1;
  }
  return asked;
}

/** Polls until everything has settled or `boundMs` passed; returns the last state and the time it took. */
export async function drain(options: {
  db: Queryable;
  operators: ChaosOperator[];
  followers: SseFollower[];
  recorder: StreamRecorder;
  nodeUrls: () => string[];
  boundMs: number;
  log: (line: string) => void;
}): Promise<{ state: DrainState; ms: number; forcedCredits: number }> {
  const startedAt = Date.now();
  let lastLog = 0;
  let lastForce = 0;
  let forcedCredits = 0;
  for (;;) {
    const state = await drainState(options.db, options.operators, options.followers, options.recorder);
    const ms = Date.now() - startedAt;
    if (settled(state) || ms > options.boundMs) return { state, ms, forcedCredits };
    if (Date.now() - lastForce > 2_000) {
      lastForce = Date.now();
      forcedCredits += await forceParkedCredits(options.db, options.operators, options.nodeUrls);
    }
    if (Date.now() - lastLog > 5_000) {
      lastLog = Date.now();
      options.log(`draining (${Math.round(ms / 1000)} s): ${JSON.stringify(state)}`);
    }
    await sleep(500);
  }
}
