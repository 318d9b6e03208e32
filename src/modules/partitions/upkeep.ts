import type { Logger } from 'pino';
import type { Db } from '../../shared/db.ts';
import { partitionsDroppedTotal, partitionsKeptTotal } from '../../shared/metrics.ts';
import { runPeriodically } from '../../shared/periodic.ts';
import { maintainPartitions, type PartitionAction } from './store.ts';

/** Partitions are created this far ahead: a week of missed passes before rows go to a default partition. */
export const PARTITIONS_AHEAD_DAYS = 7;
/** Hourly: a pass that found nothing to do costs a few catalog reads. */
const UPKEEP_INTERVAL_MS = 3_600_000;

/**
 * Issue #21: keeps the time-partitioned tables (migrations/0012-time-partitioned-tables.ts)
 * in shape — partitions created ahead, expired ones of events, webhook_deliveries and
 * idempotency_records dropped after `retentionDays`, audit_log's never (archived by hand,
 * `npm run audit:archive`). Every worker node runs it; a lease in Postgres (a transaction
 * advisory lock) lets one pass at a time do the work.
 *
 * An expired partition is kept, with a warning and `rgs_partitions_kept_total`, while it
 * holds an event the relay has not appended, a pending webhook delivery, or an event a
 * delivery still refers to; so is a partition that could not be created because its rows
 * already went to the default partition (docs/operations.md says what to do).
 */
export async function runPartitionUpkeep(db: Db, logger: Pick<Logger, 'info' | 'warn'>, retentionDays: number): Promise<PartitionAction[]> {
  const actions = await maintainPartitions(db, retentionDays, PARTITIONS_AHEAD_DAYS);
  for (const { parent, partition_name: partition, action, detail } of actions) {
    if (action === 'created') logger.info({ table: parent, partition }, 'partition created');
    else if (action === 'dropped') {
      partitionsDroppedTotal.inc({ table: parent });
      logger.info({ table: parent, partition, retentionDays }, 'expired partition dropped');
    } else {
      partitionsKeptTotal.inc({ table: parent, reason: action });
      logger.warn({ table: parent, partition, reason: action, detail }, 'partition upkeep: partition kept or not created (docs/operations.md, retention)');
    }
  }
  return actions;
}

/** Runs the upkeep now and then hourly; `stop()` ends it. */
export function startPartitionUpkeep(deps: { db: Db; logger: Logger; retentionDays: number }): { stop(): void } {
  const run = () => runPartitionUpkeep(deps.db, deps.logger, deps.retentionDays);
  run().catch((error: unknown) => deps.logger.warn({ err: error }, 'partition upkeep failed; the next pass retries'));
  const periodic = runPeriodically(run, { intervalMs: UPKEEP_INTERVAL_MS, logger: deps.logger, name: 'partition upkeep' });
  return { stop: () => periodic.stop() };
}
