import type pg from 'pg';
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { migrationsList } from '../../migrations/index.ts';
import { countStatements } from './db-statements.ts';
import { OperatorEntity } from '../modules/operators/entity.ts';
import { PlayerEntity } from '../modules/players/entity.ts';
import { SessionEntity } from '../modules/sessions/entity.ts';
import { SeedPairEntity } from '../modules/fairness/entity.ts';
import { RoundEntity } from '../modules/rounds/entity.ts';
import { BetEntity, BetTransitionEntity } from '../modules/bets/entity.ts';
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
  BetTransitionEntity,
  WalletTransactionEntity,
  EventEntity,
  EventRelayCursorEntity,
  WebhookDeliveryEntity,
  AuditEntryEntity,
  OperatorLimitsEntity,
  PlayerDailyTotalsEntity,
  IdempotencyRecordEntity,
];

export interface OrmSettings {
  /** The most connections the pool opens (a node: DB_POOL_SIZE). */
  poolSize?: number;
}

/**
 * The process's one connection pool is MikroORM's: its driver's knex client keeps pg
 * clients in a tarn pool, and src/shared/db.ts borrows raw clients from it for the
 * hand-written statements. Every client it opens counts its statements
 * (rgs_db_statements_total) and names itself `rgs` in pg_stat_activity.
 */
export function ormOptions(databaseUrl: string, settings: OrmSettings = {}): Options {
  return {
    clientUrl: databaseUrl,
    entities,
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: false },
    // As pg.Pool did: no connection kept open for nothing, an idle one closed after 10 s.
    pool: {
      min: 0,
      max: settings.poolSize ?? 4,
      idleTimeoutMillis: 10_000,
      afterCreate: (client: pg.Client, done: (error: Error | null, client: pg.Client) => void) => {
        countStatements(client);
        done(null, client);
      },
    },
    // The whole URL reaches pg (MikroORM keeps only host, port, user, password and
    // database): options such as sslmode still apply.
    driverOptions: {
      connection: { connectionString: databaseUrl, application_name: 'rgs' },
      // knex would print "Connection Error: …" to the console each time it drops a
      // connection that failed while idle (a Postgres restart); pg.Pool dropped them as
      // quietly, and the node's log stays JSON lines.
      log: { warn: () => undefined },
    },
    // The database is created by the migration runner (src/shared/migrate.ts), as the
    // owner; a node starts without Postgres and reports not ready (SPEC §2).
    ensureDatabase: false,
    // Every unit of work is a fork: per request (src/app.ts), per job (queues/worker.ts).
    allowGlobalContext: false,
    migrations: { migrationsList, silent: true, snapshot: false, transactional: true, allOrNothing: true, tableName: 'mikro_orm_migrations' },
    debug: false,
  };
}

/** Once per process (and once more, short-lived, for the migration runner as the owner). */
export function initOrm(databaseUrl: string, settings: OrmSettings = {}): Promise<MikroORM> {
  return MikroORM.init(ormOptions(databaseUrl, settings));
}
