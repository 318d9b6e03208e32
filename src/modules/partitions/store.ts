import type { Queryable } from '../../shared/db.ts';

/** A row of an upkeep pass: what it did to one partition, or kept and why. */
export interface PartitionAction {
  parent: string;
  partition_name: string;
  /** created | dropped | default_overlap | kept_unrelayed | kept_pending_deliveries | kept_referenced | lock_timeout */
  action: string;
  detail: string | null;
}

// ——— events, webhook_deliveries, idempotency_records, audit_log: their partitions ———

/**
 * One upkeep pass, run by Postgres as the owner (rgs_maintain_partitions,
 * migrations/0012-time-partitioned-tables.ts): the nodes own no table, so cannot create or
 * drop one themselves. Returns nothing when another node's pass holds the lease.
 */
export async function maintainPartitions(db: Queryable, retentionDays: number, aheadDays: number): Promise<PartitionAction[]> {
  const { rows } = await db.query<PartitionAction>('SELECT parent, partition_name, action, detail FROM rgs_maintain_partitions($1, $2)', [retentionDays, aheadDays]);
  return rows;
}
