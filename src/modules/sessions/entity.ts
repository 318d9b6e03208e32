import { EntitySchema } from '@mikro-orm/core';

export interface Session {
  token: string;
  operatorId: string;
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
    operatorId: { type: 'uuid' },
    playerId: { type: 'text' },
    currency: { type: 'character', length: 3 },
    jurisdiction: { type: 'character', length: 2 },
    status: { type: 'text' },
    expiresAt: { type: 'Date' },
    createdAt: { type: 'Date' },
    revokedAt: { type: 'Date', nullable: true },
  },
});
