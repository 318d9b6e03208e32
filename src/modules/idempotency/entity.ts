import { EntitySchema } from '@mikro-orm/core';

/** SPEC §3: the stored answer to a request made with an Idempotency-Key. */
export interface IdempotencyRecord {
  operatorId: string;
  scope: string;
  key: string;
  requestHash: string;
  responseStatus: number;
  responseBody: Record<string, unknown>;
  createdAt: Date;
}

export const IdempotencyRecordEntity = new EntitySchema<IdempotencyRecord>({
  name: 'IdempotencyRecord',
  tableName: 'idempotency_records',
  properties: {
    operatorId: { type: 'uuid', primary: true },
    scope: { type: 'text', primary: true },
    key: { type: 'text', primary: true },
    requestHash: { type: 'text' },
    responseStatus: { type: 'integer' },
    responseBody: { type: 'json' },
    createdAt: { type: 'Date' },
  },
});
