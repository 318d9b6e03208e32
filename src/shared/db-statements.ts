import type pg from 'pg';
import { Counter } from 'prom-client';
import { registry } from './metrics.ts';

export const dbStatementsTotal = new Counter({
  name: 'rgs_db_statements_total',
  help: 'Statements this node sent to PostgreSQL (one per round trip: pooled queries and those of transactions alike)',
  registers: [registry],
});

/**
 * Counts every query of a connection the pool opens (src/shared/orm.ts calls this for
 * each). What the bet path costs in round trips is a number the README writes down
 * (SPEC §12, issue #17: a wallet that fails at once must cost a bounded number of
 * statements per bet), and this counter is how a test measures it: pg_stat_statements is
 * not installed, and pg_stat_database's transaction counts reach the server up to 10 s late.
 */
export function countStatements(client: pg.ClientBase): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((...args: unknown[]) => {
    dbStatementsTotal.inc();
    return query(...args);
  }) as typeof client.query;
}
