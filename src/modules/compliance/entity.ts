import { EntitySchema, OptionalProps, PrimaryKeyProp, type Ref } from '@mikro-orm/core';
import { OperatorEntity, type Operator } from '../operators/entity.ts';

export interface CurrencyLimits {
  maxBet?: number;
  dailyLossLimit?: number;
  dailyWinLimit?: number;
}

/** SPEC §8: an operator's limits, replaced wholesale by PUT /limits. */
export interface OperatorLimits {
  [PrimaryKeyProp]?: 'operator';
  [OptionalProps]?: 'updatedAt';
  /** One row per operator at most: its key is the operator's. */
  operator: Ref<Operator>;
  blockedJurisdictions: string[];
  currencies: Record<string, CurrencyLimits>;
  updatedAt: Date;
}

export const OperatorLimitsEntity = new EntitySchema<OperatorLimits>({
  name: 'OperatorLimits',
  tableName: 'operator_limits',
  properties: {
    operator: { kind: '1:1', entity: () => OperatorEntity, owner: true, ref: true, primary: true, fieldName: 'operator_id' },
    blockedJurisdictions: { type: 'text[]' },
    currencies: { type: 'json' },
    updatedAt: { type: 'Date', defaultRaw: 'now()' },
  },
});

/** A player's totals for one UTC day and currency (daily loss and win limits). */
export interface PlayerDailyTotals {
  operatorId: string;
  playerId: string;
  currency: string;
  day: string;
  staked: number;
  returned: number;
}

export const PlayerDailyTotalsEntity = new EntitySchema<PlayerDailyTotals>({
  name: 'PlayerDailyTotals',
  tableName: 'player_daily_totals',
  properties: {
    operatorId: { type: 'uuid', primary: true },
    playerId: { type: 'text', primary: true },
    currency: { type: 'character', length: 3, primary: true },
    day: { type: 'date', primary: true },
    staked: { type: 'bigint' },
    returned: { type: 'bigint' },
  },
});
