import { EntitySchema } from '@mikro-orm/core';

export interface CurrencyLimits {
  maxBet?: number;
  dailyLossLimit?: number;
  dailyWinLimit?: number;
}

/** SPEC §8: an operator's limits, replaced wholesale by PUT /limits. */
export interface OperatorLimits {
  operatorId: string;
  blockedJurisdictions: string[];
  currencies: Record<string, CurrencyLimits>;
  updatedAt: Date;
}

export const OperatorLimitsEntity = new EntitySchema<OperatorLimits>({
  name: 'OperatorLimits',
  tableName: 'operator_limits',
  properties: {
    operatorId: { type: 'uuid', primary: true },
    blockedJurisdictions: { type: 'text[]' },
    currencies: { type: 'json' },
    updatedAt: { type: 'Date' },
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
