import { EntitySchema } from '@mikro-orm/core';

/** SPEC §7: a committed event, relayed later to the operator's stream and webhook. */
export interface EventRecord {
  id: string;
  seq: number;
  operatorId: string;
  type: string;
  playerId: string | null;
  betId: string | null;
  data: Record<string, unknown>;
  occurredAt: Date;
  relayedAt: Date | null;
  streamId: string | null;
}

export const EventEntity = new EntitySchema<EventRecord>({
  name: 'EventRecord',
  tableName: 'events',
  properties: {
    id: { type: 'uuid', primary: true },
    seq: { type: 'bigint', unique: true, generated: 'identity' },
    operatorId: { type: 'uuid' },
    type: { type: 'text' },
    playerId: { type: 'text', nullable: true },
    betId: { type: 'uuid', nullable: true },
    data: { type: 'json' },
    occurredAt: { type: 'Date' },
    relayedAt: { type: 'Date', nullable: true },
    streamId: { type: 'text', nullable: true },
  },
});
