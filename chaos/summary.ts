import type { ConductorReport } from './conductor.ts';
import type { HttpTally } from './http.ts';
import type { ChaosFigures } from './invariants.ts';

/**
 * The one line a run ends with (docs/chaos.md explains each figure). Every figure that an
 * invariant requires to be 0 is named after what it counts, so a non-zero is readable
 * without the rest of the output.
 */
export function summaryLine(input: {
  seed: number;
  adversary: boolean;
  figures: ChaosFigures;
  conductor: ConductorReport;
  tally: HttpTally;
  drainSeconds: number;
  seconds: number;
  ok: boolean;
}): string {
  const { figures, conductor, tally } = input;
  const fields: [string, string | number][] = [
    ['result', input.ok ? 'ok' : 'FAIL'],
    ['seed', input.seed],
    ['adversary', input.adversary ? 'on' : 'off'],
    ['bets', figures.bets],
    ['events', figures.events],
    ['kills', conductor.kills],
    ['sigterms', conductor.sigterms],
    ['redis_restarts', conductor.redisRestarts],
    ['redis_failovers', figures.redisFailovers],
    ['faults', figures.faults],
    ['refused_retries', figures.refusedRetries],
    ['money_delta', figures.moneyDelta],
    ['money_bets_mismatched', figures.moneyBetsMismatched],
    ['double_applied', figures.doubleApplied],
    ['outcome_leaks', figures.outcomeLeaks],
    ['outcome_lookups', figures.outcomeLookups],
    ['non_final', figures.nonFinal],
    ['parked', figures.parked],
    ['events_lost_with_redis', figures.eventsLostWithRedis],
    ['sse_gaps', figures.sseGaps],
    ['sse_duplicates', figures.sseDuplicates],
    ['sse_resets', figures.sseResets],
    ['sse_reconnects', figures.sseReconnects],
    ['webhooks', `${figures.webhooksDelivered}/${figures.events}`],
    ['webhook_bad_signatures', figures.webhooksBadSignature],
    ['http_5xx', tally.http5xx],
    ['http_4xx_unexpected', tally.unexpected4xx],
    ['http_429', tally.rateLimited],
    ['conn_errors', tally.connectionErrors],
    ['timeouts', tally.timeouts],
    ['drain_seconds', input.drainSeconds],
    ['seconds', input.seconds],
  ];
  return `CHAOS ${fields.map(([name, value]) => `${name}=${value}`).join(' ')}`;
}
