import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { migrationsList } from '../../migrations/index.ts';
import { OperatorEntity } from '../modules/operators/entity.ts';
import { PlayerEntity } from '../modules/players/entity.ts';
import { SessionEntity } from '../modules/sessions/entity.ts';
import { SeedPairEntity } from '../modules/fairness/entity.ts';
import { RoundEntity } from '../modules/rounds/entity.ts';
import { BetEntity } from '../modules/bets/entity.ts';
import { WalletTransactionEntity } from '../modules/wallet/entity.ts';
import { EventEntity, EventRelayCursorEntity } from '../modules/events/entity.ts';
import { WebhookDeliveryEntity } from '../modules/webhooks/entity.ts';
import { AuditEntryEntity } from '../modules/audit/entity.ts';
import { OperatorLimitsEntity, PlayerDailyTotalsEntity } from '../modules/compliance/entity.ts';
import { IdempotencyRecordEntity } from '../modules/idempotency/entity.ts';

export const entities = [
  OperatorEntity,
  PlayerEntity,
  SessionEntity,
  SeedPairEntity,
  RoundEntity,
  BetEntity,
  WalletTransactionEntity,
  EventEntity,
  EventRelayCursorEntity,
  WebhookDeliveryEntity,
  AuditEntryEntity,
  OperatorLimitsEntity,
  PlayerDailyTotalsEntity,
  IdempotencyRecordEntity,
];

export function ormOptions(databaseUrl: string): Options {
  return {
    clientUrl: databaseUrl,
    entities,
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: false },
    pool: { min: 0, max: 4 },
    migrations: { migrationsList, silent: true, snapshot: false, transactional: true, allOrNothing: true, tableName: 'mikro_orm_migrations' },
    debug: false,
  };
}

export function initOrm(databaseUrl: string): Promise<MikroORM> {
  return MikroORM.init(ormOptions(databaseUrl));
}
