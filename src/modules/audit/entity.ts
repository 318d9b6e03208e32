import { EntitySchema } from '@mikro-orm/core';

/** SPEC §8: append-only (a trigger refuses UPDATE, DELETE and TRUNCATE). */
export interface AuditEntry {
  id: string;
  operatorId: string | null;
  actor: 'operator' | 'admin' | 'system';
  action: string;
  playerId: string | null;
  betId: string | null;
  data: Record<string, unknown>;
  createdAt: Date;
}

export const AuditEntryEntity = new EntitySchema<AuditEntry>({
  name: 'AuditEntry',
  tableName: 'audit_log',
  readonly: true,
  properties: {
    id: { type: 'bigint', primary: true, generated: 'identity' },
    operatorId: { type: 'uuid', nullable: true },
    actor: { type: 'text' },
    action: { type: 'text' },
    playerId: { type: 'text', nullable: true },
    betId: { type: 'uuid', nullable: true },
    data: { type: 'json' },
    createdAt: { type: 'Date' },
  },
});
