import { BigIntType, EntitySchema } from '@mikro-orm/core';

/** SPEC §8: append-only (a trigger refuses UPDATE, DELETE and TRUNCATE). */
export interface AuditEntry {
  /** The bigint identity, as a string so nothing rounds it. */
  id: string;
  operatorId: string | null;
  actor: 'operator' | 'admin' | 'system';
  action: string;
  playerId: string | null;
  betId: string | null;
  data: Record<string, unknown>;
  createdAt: Date;
  /**
   * created_at to the microsecond, as Postgres keeps it (a Date keeps milliseconds): the
   * position a page cursor carries. Computed, and only when asked (`populate`).
   */
  positionAt?: string;
}

export const AuditEntryEntity = new EntitySchema<AuditEntry>({
  name: 'AuditEntry',
  tableName: 'audit_log',
  readonly: true,
  properties: {
    id: { type: new BigIntType('string'), primary: true, generated: 'identity' },
    operatorId: { type: 'uuid', nullable: true },
    actor: { type: 'text' },
    action: { type: 'text' },
    playerId: { type: 'text', nullable: true },
    betId: { type: 'uuid', nullable: true },
    data: { type: 'json' },
    createdAt: { type: 'Date' },
    positionAt: { type: 'string', lazy: true, formula: (alias) => `to_char(${alias}.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` },
  },
});
