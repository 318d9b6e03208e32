import type { Queryable } from '../src/shared/db.ts';
import { streamKey } from '../src/modules/events/stream-append.ts';
import { connectRedis } from '../src/shared/redis.ts';
import type { ChaosCluster } from './cluster.ts';
import type { ConductorReport } from './conductor.ts';
import type { DrainState } from './drain.ts';
import { requestJson, type HttpTally } from './http.ts';
import type { LoadResult } from './load.ts';
import { checkMoney, type BetRow, type LedgerItem, type PlayerBalance, type RecordedTransaction } from './money-check.ts';
import { checkOutcomeSpy, readOutcomeSpy } from './outcome-spy.ts';
import type { ChaosOperator } from './operators.ts';
import { checkSseFrames } from './sse-check.ts';
import type { SseFollower } from './sse-follower.ts';
import { compareStreamIds } from './stream-id.ts';
import type { StreamRecorder } from './stream-recorder.ts';

// SPEC §10, checked after the drain from three independent sources — the wallet mock's
// ledger and balances, the RGS's own records (its REST API and its tables), and what the
// operators' webhook receivers and SSE clients actually got. Each check adds a failure
// naming what broke; the figures feed the summary line.

const FINAL = new Set(['won', 'lost', 'rejected', 'cancelled']);
const SHOW = 5;

export interface ChaosFigures {
  bets: number;
  events: number;
  faults: number;
  /** Retries of debits and credits the adversarial wallet refused with a 4xx. */
  refusedRetries: number;
  moneyDelta: number;
  moneyBetsMismatched: number;
  doubleApplied: number;
  nonFinal: number;
  parked: number;
  /** Events committed in the moments before a Redis restart that no reader saw: see checkInvariants. */
  eventsLostWithRedis: number;
  /** Replicas of the Redis Cluster promoted to master during the run (CLUSTER NODES); 0 on one Redis. */
  redisFailovers: number;
  /** Stream entries someone read from a Redis master that died before replicating them (their events were appended again). */
  streamEntriesLost: number;
  sseGaps: number;
  sseDuplicates: number;
  sseResets: number;
  sseReconnects: number;
  webhooksDelivered: number;
  webhooksBadSignature: number;
  /** Debits whose bet the adversarial wallet looked up while it held them, and those that showed the outcome. */
  outcomeLookups: number;
  outcomeLeaks: number;
}

/** How long before a Redis kill a committed event may have been appended and lost with it unseen. */
const LOST_WITH_REDIS_MS = 2_000;

type Ask = <T>(path: string, apiKey?: string) => Promise<T>;

/** GET through whichever node answers (they are all up again by now); a 5xx still counts. */
function asker(cluster: ChaosCluster, tally: HttpTally): Ask {
  return async <T>(path: string, apiKey?: string): Promise<T> => {
    const route = `GET ${path.replace(/\?.*$/, '').replace(/[0-9a-f-]{36}/g, ':id')}`;
    for (let attempt = 0; ; attempt++) {
      const urls = cluster.nodeUrls();
      const url = urls[attempt % urls.length]!;
      try {
        const answer = await requestJson<T>('GET', `${url}${path}`, apiKey ? { headers: { 'x-operator-key': apiKey } } : {});
        tally.answer(route, answer.status, answer.body);
        if (answer.status === 200) return answer.body;
      } catch (error) {
        tally.connectionError(route, error);
      }
      if (attempt >= 10) throw new Error(`${route}: no 200 after ${attempt + 1} attempts`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
}

/** The stream ids an operator's SSE clients received. */
function seenBySseIdsOf(followers: readonly SseFollower[], operatorId: string): string[] {
  return followers.filter((follower) => follower.operatorId === operatorId).flatMap((follower) => follower.frames.flatMap((frame) => (frame.kind === 'event' ? [frame.streamId] : [])));
}

async function allPages<T>(ask: Ask, path: string, apiKey: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const page: { items: T[]; nextCursor: string | null } = await ask(`${path}${separator}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, apiKey);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

export async function checkInvariants(input: {
  db: Queryable;
  cluster: ChaosCluster;
  operators: ChaosOperator[];
  followers: SseFollower[];
  recorder: StreamRecorder;
  load: LoadResult;
  tally: HttpTally;
  conductor: ConductorReport;
  drained: DrainState;
  /** The adversarial wallet was on: its spy's report is judged. */
  adversary: boolean;
}): Promise<{ figures: ChaosFigures; failures: string[] }> {
  const { db, cluster, operators, tally } = input;
  const failures: string[] = [];
  const fail = (name: string, detail: string) => failures.push(`${name}: ${detail}`);
  const ask = asker(cluster, tally);

  // --- the three sources ----------------------------------------------------------
  const operatorIds = operators.map((operator) => operator.id);
  const bets = (
    await db.query<BetRow>('SELECT id, operator_id, player_id, status, amount::bigint::float8 AS amount, payout::bigint::float8 AS payout FROM bets WHERE operator_id = ANY($1)', [operatorIds])
  ).rows;
  const betIds = new Set(bets.map((bet) => bet.id));
  const ledger = (await requestJson<{ items: LedgerItem[] }>('GET', `${cluster.walletUrl}/__ledger`)).body.items;
  const recorded: RecordedTransaction[] = [];
  for (const operator of operators) recorded.push(...(await allPages<RecordedTransaction>(ask, '/transactions', operator.apiKey)));
  const players: PlayerBalance[] = [];
  for (const operator of operators) {
    for (const player of operator.players) {
      const query = new URLSearchParams({ currency: 'EUR', operatorId: operator.id });
      const { body } = await requestJson<{ balance: number }>('GET', `${cluster.walletUrl}/wallet/balance/${encodeURIComponent(player.playerId)}?${query}`);
      players.push({ operatorId: operator.id, playerId: player.playerId, startBalance: player.startBalance, balance: body.balance });
    }
  }

  // --- every answered bet exists once ----------------------------------------------
  const answeredIds = new Set(input.load.bets.values());
  if (answeredIds.size !== input.load.bets.size) fail('bets', `${input.load.bets.size} keys answered with only ${answeredIds.size} distinct bets`);
  const missing = [...answeredIds].filter((id) => !betIds.has(id));
  if (missing.length) fail('bets', `${missing.length} answered bets are not in the database, e.g. ${missing.slice(0, SHOW).join(', ')}`);
  if (bets.length !== answeredIds.size) fail('bets', `${bets.length} bets in the database for ${answeredIds.size} answered requests (one bet per Idempotency-Key)`);
  if (input.load.unanswered) fail('bets', `${input.load.unanswered} bet requests never got a 201/202`);
  if (input.load.idempotencyMismatches.length) fail('idempotency', `one key, two bets: ${input.load.idempotencyMismatches.slice(0, SHOW).join('; ')}`);

  // --- §10.1 money ------------------------------------------------------------------
  const money = checkMoney({ bets, ledger, recorded, players });
  if (money.strangers.length) fail('money', `${money.strangers.length} wallet transactions of unknown bets, e.g. ${money.strangers.slice(0, SHOW).join(', ')}`);
  if (money.doubleApplied) fail('money', `${money.doubleApplied} wallet transactions applied more than once per bet and kind`);
  if (money.mismatchedBets.length) fail('money', `${money.mismatchedBets.length} bets whose wallet movements differ from the RGS records, e.g. ${money.mismatchedBets.slice(0, SHOW).join('; ')}`);
  if (money.mismatchedPlayers.length) fail('money', `${money.mismatchedPlayers.length} players' balances do not reconcile, e.g. ${money.mismatchedPlayers.slice(0, SHOW).join('; ')}`);

  // --- §10.2 every bet final (or parked, and listed) ----------------------------------
  const open = bets.filter((bet) => !FINAL.has(bet.status) && bet.status !== 'parked');
  if (open.length) fail('non_final', `${open.length} bets not final after the drain, e.g. ${open.slice(0, SHOW).map((bet) => `${bet.id} ${bet.status}`).join(', ')}`);
  const parked = bets.filter((bet) => bet.status === 'parked');
  let listedParked = 0;
  for (const operator of operators) listedParked += (await allPages<{ id: string }>(ask, '/bets?status=parked', operator.apiKey)).length;
  if (listedParked !== parked.length) fail('parked', `${parked.length} parked bets, ${listedParked} listed by GET /bets?status=parked`);
  const withoutFinalEvent = (
    await db.query<{ id: string; status: string }>(
      `SELECT b.id, b.status FROM bets b
        WHERE b.operator_id = ANY($1) AND b.status IN ('won', 'lost', 'rejected', 'cancelled')
          AND NOT EXISTS (SELECT 1 FROM events e WHERE e.bet_id = b.id AND e.type = 'bet.' || b.status)`,
      [operatorIds],
    )
  ).rows;
  if (withoutFinalEvent.length) fail('events', `${withoutFinalEvent.length} final bets without their bet.<status> event, e.g. ${withoutFinalEvent.slice(0, SHOW).map((bet) => bet.id).join(', ')}`);

  // --- §10.3 every committed event: appended once, webhook at least once, SSE once and in order
  const events = (
    await db.query<{ id: string; operator_id: string; type: string; at_ms: number }>(
      'SELECT id, operator_id, type, (extract(epoch FROM occurred_at) * 1000)::float8 AS at_ms FROM events WHERE operator_id = ANY($1)',
      [operatorIds],
    )
  ).rows;
  // What the streams carried, recorded during the run (Redis restarted empty since): per
  // event id, the stream entries it became, each with the operator whose stream it is in.
  const appended = new Map<string, { operatorId: string; streamId: string; generation: number }[]>();
  for (const operator of operators) {
    for (const { eventId, streamId, generation } of input.recorder.entries(operator.id)) {
      const entries = appended.get(eventId) ?? [];
      entries.push({ operatorId: operator.id, streamId, generation });
      appended.set(eventId, entries);
    }
  }
  // The recorder runs in this busy process: an entry appended just before Redis was killed
  // can die with Redis before the recorder reads it, while an SSE client (through a node)
  // got it. What any SSE client received was in the stream too.
  const seenBySse = new Map<string, { operatorId: string; streamId: string }[]>();
  for (const follower of input.followers) {
    for (const frame of follower.frames) {
      if (frame.kind !== 'event') continue;
      const seen = seenBySse.get(frame.eventId) ?? [];
      seen.push({ operatorId: follower.operatorId, streamId: frame.streamId });
      seenBySse.set(frame.eventId, seen);
    }
  }
  // On a Redis Cluster (no restarts, no trimming within a run) the streams as they end are
  // the truth: an entry someone read that is not in them was on a master that died before
  // a replica had it. Such an entry proves nothing was appended for good; its event must
  // be in the stream under another id (the relay appends it again).
  const lostEntries = new Set<string>();
  if (cluster.redisFailovers) {
    const redis = connectRedis(cluster.redisTarget, { keyPrefix: cluster.redisPrefix });
    try {
      for (const operator of operators) {
        const held = new Set((await redis.xrange(streamKey(operator.id), '-', '+')).map(([id]) => id));
        const read = [...input.recorder.entries(operator.id).map((entry) => entry.streamId), ...(seenBySseIdsOf(input.followers, operator.id))];
        for (const id of read) if (!held.has(id)) lostEntries.add(`${operator.id}/${id}`);
      }
    } finally {
      redis.disconnect();
    }
  }
  const isLost = (operatorId: string, streamId: string) => lostEntries.has(`${operatorId}/${streamId}`);
  const inOwnStream = (event: { id: string; operator_id: string }) =>
    [...(appended.get(event.id) ?? []), ...(seenBySse.get(event.id) ?? [])].some((entry) => entry.operatorId === event.operator_id && !isLost(entry.operatorId, entry.streamId));
  const neverSeen = events.filter((event) => !inOwnStream(event));
  // An event committed shortly before a Redis restart may have been appended and lost with
  // it before anyone read it: counted, not failed (the old Redis is gone, so no one can
  // tell). Any other event no one ever saw in its stream is a failure.
  const lostWithRedis = neverSeen.filter((event) => cluster.redisKilledAt.some((killedAt) => event.at_ms >= killedAt - LOST_WITH_REDIS_MS && event.at_ms <= killedAt));
  const neverAppended = neverSeen.filter((event) => !lostWithRedis.includes(event));
  if (neverAppended.length) {
    const samples = neverAppended.slice(0, SHOW).map((event) => `${event.id} ${event.type} at ${new Date(event.at_ms).toISOString()}`);
    fail('events', `${neverAppended.length} committed events never seen in their operator's stream, e.g. ${samples.join(', ')}`);
  }
  // Twice within one Redis lifetime; across a restart the relay may append again what the
  // crash took away with its answer (SSE clients get a stream.reset in between).
  const twice = [...appended].filter(([, entries]) => new Set(entries.map((entry) => entry.generation)).size < entries.length);
  if (twice.length) {
    const samples = twice.slice(0, SHOW).map(([id, entries]) => `${id} (${entries.map((entry) => entry.streamId).join(', ')})`);
    fail('events', `${twice.length} events appended more than once (the relay appends each exactly once), e.g. ${samples.join('; ')}`);
  }
  let webhooksDelivered = 0;
  let webhooksBadSignature = 0;
  let sseGaps = 0;
  let sseDuplicates = 0;
  let sseResets = 0;
  let sseReconnects = 0;
  const sseSamples: string[] = [];
  for (const operator of operators) {
    const mine = events.filter((event) => event.operator_id === operator.id);
    const eventIds = new Set(mine.map((event) => event.id));
    const verified = new Set<string>();
    for (const hook of operator.receiver.received) {
      const headerId = hook.headers['x-rgs-event-id'];
      if (!hook.verified) webhooksBadSignature += 1;
      else if (hook.status === 200 && typeof headerId === 'string' && (JSON.parse(hook.rawBody) as { id?: string }).id === headerId) verified.add(headerId);
    }
    const strangers = [...verified].filter((id) => !eventIds.has(id));
    if (strangers.length) fail('webhooks', `operator ${operator.index} received ${strangers.length} events that were never committed`);
    webhooksDelivered += mine.filter((event) => verified.has(event.id)).length;

    const committed = [
      ...new Set([
        ...input.recorder
          .entries(operator.id)
          .filter((entry) => eventIds.has(entry.eventId))
          .map((entry) => entry.streamId),
        ...mine.flatMap((event) => (seenBySse.get(event.id) ?? []).filter((seen) => seen.operatorId === operator.id).map((seen) => seen.streamId)),
      ]),
    ]
      .filter((streamId) => !isLost(operator.id, streamId))
      .sort(compareStreamIds);
    for (const follower of input.followers.filter((each) => each.operatorId === operator.id)) {
      sseReconnects += Math.max(0, follower.connections - 1);
      const report = checkSseFrames(follower.name, follower.frames, committed, eventIds);
      sseGaps += report.gaps;
      sseDuplicates += report.duplicates;
      sseResets += report.resets;
      sseSamples.push(...report.samples);
      if (report.strangers.length) fail('sse', `${follower.name} received ${report.strangers.length} events that were never committed, e.g. ${report.strangers.slice(0, SHOW).join(', ')}`);
    }
  }
  if (webhooksDelivered !== events.length) fail('webhooks', `${events.length - webhooksDelivered} of ${events.length} committed events never reached their receiver with a valid signature`);
  if (webhooksBadSignature) fail('webhooks', `${webhooksBadSignature} webhook requests had no valid signature`);
  const failedDeliveries = Number(
    (await db.query<{ n: string }>("SELECT count(*) AS n FROM webhook_deliveries WHERE operator_id = ANY($1) AND status = 'failed'", [operatorIds])).rows[0]?.n ?? 0,
  );
  if (failedDeliveries) fail('webhooks', `${failedDeliveries} deliveries ended failed`);
  if (sseGaps || sseDuplicates) {
    fail('sse', `${sseGaps} events missing without a stream.reset, ${sseDuplicates} received twice or out of order: ${sseSamples.slice(0, SHOW).join('; ')}`);
  }

  // --- §10.4 / §2 / §10.6: answers and processes ---------------------------------------
  if (tally.http5xx) fail('http_5xx', `${tally.http5xx} answers ≥ 500, e.g. ${tally.samples.join(' | ')}`);
  if (tally.unexpected4xx) fail('http_4xx', `${tally.unexpected4xx} unexpected 4xx answers to well-formed requests, e.g. ${tally.samples.join(' | ')}`);
  for (const { node, exit, stopMs } of input.conductor.sigtermExits) {
    if (exit !== 0 || stopMs > 15_000) fail('sigterm', `${node} exited ${exit} ${stopMs} ms after SIGTERM (SPEC §2: 0 within 15 s)`);
  }
  for (const crash of input.cluster.crashes) fail('crash', crash);
  const redisFailovers = (await cluster.redisFailovers?.promotions()) ?? 0;
  if (redisFailovers !== input.conductor.redisMasterKills) {
    fail('redis_failover', `${input.conductor.redisMasterKills} Redis masters killed, ${redisFailovers} replicas promoted (CLUSTER NODES)`);
  }
  for (const problem of input.conductor.problems) fail('schedule', problem);
  if (Object.values(input.drained).some((value) => value !== 0)) fail('drain', `not settled within the bound: ${JSON.stringify(input.drained)}`);

  const stats = (await requestJson<Record<string, Record<string, number>>>('GET', `${cluster.walletUrl}/__stats`)).body;
  const faults = Object.values(stats).reduce((sum, counts) => sum + (counts.error ?? 0) + (counts.timeout ?? 0) + (counts.lost ?? 0), 0);
  const refusedRetries = Object.values(stats).reduce((sum, counts) => sum + (counts.refusedRetry ?? 0), 0);

  // --- issue #17 §1: no outcome while the wallet holds the stake -------------------------
  const outcome = checkOutcomeSpy(input.adversary ? await readOutcomeSpy(cluster.walletUrl) : null);
  failures.push(...outcome.failures);

  return {
    failures,
    figures: {
      bets: bets.length,
      events: events.length,
      faults,
      refusedRetries,
      moneyDelta: money.delta,
      moneyBetsMismatched: money.mismatchedBets.length,
      doubleApplied: money.doubleApplied,
      nonFinal: open.length,
      parked: parked.length,
      eventsLostWithRedis: lostWithRedis.length,
      redisFailovers,
      streamEntriesLost: lostEntries.size,
      sseGaps,
      sseDuplicates,
      sseResets,
      sseReconnects,
      webhooksDelivered,
      webhooksBadSignature,
      ...outcome.figures,
    },
  };
}
