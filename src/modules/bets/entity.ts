import { EntitySchema } from '@mikro-orm/core';

/** A bet: the XState snapshot of its machine plus the columns lists filter on. */
export interface Bet {
  id: string;
  operatorId: string;
  playerId: string;
  sessionToken: string;
  roundId: string;
  idempotencyKey: string;
  requestHash: string;
  currency: string;
  amount: number;
  payout: number;
  game: string;
  params: Record<string, unknown>;
  status: string;
  snapshot: Record<string, unknown>;
  version: number;
  history: { state: string; at: string }[];
  rejectReason: string | null;
  nextAttemptAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  settledAt: Date | null;
}

export const BetEntity = new EntitySchema<Bet>({
  name: 'Bet',
  tableName: 'bets',
  properties: {
    id: { type: 'uuid', primary: true },
    operatorId: { type: 'uuid' },
    playerId: { type: 'text' },
    sessionToken: { type: 'uuid' },
    roundId: { type: 'uuid' },
    idempotencyKey: { type: 'text' },
    requestHash: { type: 'text' },
    currency: { type: 'character', length: 3 },
    amount: { type: 'bigint' },
    payout: { type: 'bigint' },
    game: { type: 'text' },
    params: { type: 'json' },
    status: { type: 'text' },
    snapshot: { type: 'json' },
    version: { type: 'integer', version: true },
    history: { type: 'json' },
    rejectReason: { type: 'text', nullable: true },
    nextAttemptAt: { type: 'Date', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
    settledAt: { type: 'Date', nullable: true },
  },
});
