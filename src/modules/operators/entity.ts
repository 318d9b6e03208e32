import { EntitySchema, OptionalProps } from '@mikro-orm/core';

/** `walletSecret` and `webhookSecret` are stored sealed (sealed-secrets.ts, SPEC §11). */
export interface Operator {
  /** Given by the database when a row is inserted. */
  [OptionalProps]?: 'version' | 'createdAt' | 'updatedAt' | 'gamesEnabled' | 'gamesConfig';
  id: string;
  name: string;
  apiKeyHash: string;
  walletUrl: string | null;
  walletSecret: string | null;
  webhookUrl: string | null;
  webhookSecret: string | null;
  rateLimitPerSecond: number | null;
  /** The games it offers; null (the default) is every game of the registry (migration 0011). */
  gamesEnabled: string[] | null;
  /** Its settings per game, as set (`{dice: {houseEdge: 1.5}}`); a game not named plays with its defaults. */
  gamesConfig: Record<string, unknown>;
  /** The optimistic lock (migration 0010): every change of its settings or key bumps it. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export const OperatorEntity = new EntitySchema<Operator>({
  name: 'Operator',
  tableName: 'operators',
  properties: {
    id: { type: 'uuid', primary: true },
    name: { type: 'text', unique: true },
    apiKeyHash: { type: 'text', unique: true },
    walletUrl: { type: 'text', nullable: true },
    walletSecret: { type: 'text', nullable: true, hidden: true },
    webhookUrl: { type: 'text', nullable: true },
    webhookSecret: { type: 'text', nullable: true, hidden: true },
    rateLimitPerSecond: { type: 'integer', nullable: true },
    gamesEnabled: { type: 'text[]', nullable: true },
    gamesConfig: { type: 'json', default: '{}' },
    version: { type: 'integer', version: true },
    createdAt: { type: 'Date', onCreate: () => new Date() },
    updatedAt: { type: 'Date', onCreate: () => new Date(), onUpdate: () => new Date() },
  },
});
