import { EntitySchema, OptionalProps, type Ref } from '@mikro-orm/core';
import { OperatorEntity, type Operator } from '../operators/entity.ts';

export interface Session {
  [OptionalProps]?: 'status' | 'createdAt' | 'revokedAt';
  token: string;
  /** Every lookup of a session is scoped by its operator (SPEC §3). */
  operator: Ref<Operator>;
  playerId: string;
  currency: string;
  jurisdiction: string;
  status: 'active' | 'revoked';
  expiresAt: Date;
  createdAt: Date;
  revokedAt: Date | null;
}

export const SessionEntity = new EntitySchema<Session>({
  name: 'Session',
  tableName: 'sessions',
  properties: {
    token: { type: 'uuid', primary: true },
    operator: { kind: 'm:1', entity: () => OperatorEntity, ref: true, fieldName: 'operator_id' },
    playerId: { type: 'text' },
    currency: { type: 'character', length: 3 },
    jurisdiction: { type: 'character', length: 2 },
    status: { type: 'text', default: 'active' },
    expiresAt: { type: 'Date' },
    createdAt: { type: 'Date', defaultRaw: 'now()' },
    revokedAt: { type: 'Date', nullable: true },
  },
});
