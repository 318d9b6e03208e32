import { EntitySchema, OptionalProps, PrimaryKeyProp, type Ref } from '@mikro-orm/core';
import { OperatorEntity, type Operator } from '../operators/entity.ts';

export interface Session {
  [OptionalProps]?: 'status' | 'createdAt' | 'revokedAt';
  /** Every lookup of a session is scoped by its operator (SPEC §3), and the key leads with it (migration 0013). */
  [PrimaryKeyProp]?: ['operator', 'token'];
  operator: Ref<Operator>;
  token: string;
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
    operator: { kind: 'm:1', entity: () => OperatorEntity, ref: true, primary: true, fieldName: 'operator_id' },
    token: { type: 'uuid', primary: true },
    playerId: { type: 'text' },
    currency: { type: 'character', length: 3 },
    jurisdiction: { type: 'character', length: 2 },
    status: { type: 'text', default: 'active' },
    expiresAt: { type: 'Date' },
    createdAt: { type: 'Date', defaultRaw: 'now()' },
    revokedAt: { type: 'Date', nullable: true },
  },
});
