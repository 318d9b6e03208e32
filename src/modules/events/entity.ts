import { EntitySchema } from '@mikro-orm/core';

/** SPEC §7: a committed event, relayed later to the operator's stream and webhook (src/modules/events/relay.ts). */
export interface EventRecord {
  id: string;
  seq: number;
  operatorId: string;
  type: string;
  playerId: string | null;
  betId: string | null;
  data: Record<string, unknown>;
  occurredAt: Date;
  /** The writing transaction (xid8, as text): the relay's order. Null on events relayed before migration 0005. */
  txid: string | null;
}

export const EventEntity = new EntitySchema<EventRecord>({
  name: 'EventRecord',
  tableName: 'events',
  properties: {
    id: { type: 'uuid', primary: true },
    seq: { type: 'bigint', generated: 'identity' },
    operatorId: { type: 'uuid' },
    type: { type: 'text' },
    playerId: { type: 'text', nullable: true },
    betId: { type: 'uuid', nullable: true },
    data: { type: 'json' },
    occurredAt: { type: 'Date' },
    txid: { type: 'text', columnType: 'xid8', nullable: true },
  },
});

/** The one row saying how far the relay has appended events: (txid, seq) of the last one. */
export interface EventRelayCursorRecord {
  singleton: boolean;
  txid: string;
  seq: number;
}

export const EventRelayCursorEntity = new EntitySchema<EventRelayCursorRecord>({
  name: 'EventRelayCursorRecord',
  tableName: 'event_relay_cursor',
  properties: {
    singleton: { type: 'boolean', primary: true },
    txid: { type: 'text', columnType: 'xid8' },
    seq: { type: 'bigint' },
  },
});
