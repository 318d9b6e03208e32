import type { BenchTarget } from './cluster.ts';
import { log, pause, type Failures } from './config.ts';
import type { BenchOperator } from './operator-setup.ts';
import { dbStats, type DbStats, type ProductDb } from './postgres-stats.ts';
import { fmt } from './table.ts';

const FINAL_STATUSES = ['won', 'lost', 'rejected', 'cancelled'];

export interface LedgerChecks {
  /** The wallet ledger against the bets (or the 201 answers, without the database). */
  dbLine: string;
  /** Commits and rows per bet (pg_stat_database), when the database was reachable. */
  commitLine: string;
}

type LedgerItem = { kind: string; playerId: string; status: string };

/**
 * Sanity: every bet in the database was debited exactly once at the wallet mock, every bet
 * reached a final status, no 201 was answered for a bet that is not there; then, with the
 * nodes stopped, the transactions and rows per bet.
 */
export async function checkLedger(run: {
  target: BenchTarget;
  operator: BenchOperator;
  playerPrefix: string;
  /** 201 answers counted in the measured levels. */
  totalSettled: number;
  productDb: ProductDb | undefined;
  before: DbStats | undefined;
  /** Called before the nodes are stopped on purpose (their exit is then no failure). */
  stoppingNodes: () => void;
  failures: Failures;
}): Promise<LedgerChecks> {
  const { target, operator, playerPrefix, totalSettled, productDb, before, failures } = run;
  const ledgerOf = async () => (await (await fetch(`${target.walletUrl}/__ledger?operatorId=${operator.id}`)).json()) as { items: LedgerItem[] };
  if (!productDb) {
    const ledger = await ledgerOf();
    const debits = ledger.items.filter((item) => item.kind === 'debit' && item.playerId.startsWith(playerPrefix)).length;
    if (debits < totalSettled) failures.push(`fewer ledger debits (${debits}) than 201 answers (${totalSettled})`);
    return { dbLine: `verification: wallet-mock ledger debits = ${debits}; 201 answers = ${totalSettled} (${debits >= totalSettled ? 'OK' : 'MISMATCH'}); database not checked`, commitLine: '' };
  }

  const deadline = Date.now() + 30_000;
  let open = 0;
  for (;;) {
    const { rows } = await productDb.query<{ open: string }>(`SELECT count(*) AS open FROM bets WHERE operator_id = $1 AND status <> ALL($2)`, [operator.id, FINAL_STATUSES]);
    open = Number(rows[0]?.open);
    if (open === 0 || Date.now() > deadline) break;
    await pause(250);
  }
  const { rows: byStatus } = await productDb.query<{ status: string; count: string }>(
    'SELECT status, count(*) FROM bets WHERE operator_id = $1 GROUP BY status ORDER BY status',
    [operator.id],
  );
  const bets = byStatus.reduce((sum, row) => sum + Number(row.count), 0);
  const ledger = await ledgerOf();
  const debits = ledger.items.filter((item) => item.kind === 'debit' && item.playerId.startsWith(playerPrefix));
  const applied = debits.filter((item) => item.status === 'applied').length;
  const ok = debits.length === bets;
  const dbLine =
    `verification: wallet-mock ledger debits = ${debits.length} (applied ${applied}), bets in the database = ${bets} ` +
    `(${byStatus.map((row) => `${row.status} ${row.count}`).join(', ')}) → ${ok ? 'OK' : 'MISMATCH'}; ` +
    `201 answers counted in the measured levels = ${totalSettled} (≤ bets: ${totalSettled <= bets ? 'OK' : 'MISMATCH'})`;
  if (!ok) failures.push(`ledger debits (${debits.length}) differ from bets in the database (${bets})`);
  if (totalSettled > bets) failures.push(`more 201 answers (${totalSettled}) than bets in the database (${bets})`);
  if (open) failures.push(`${open} bets still not final 30 s after the load`);
  log(dbLine);

  // Transactions per bet: nodes stopped first, so every backend has flushed its counters.
  if (target.nodes.length && before && target.databaseName) {
    run.stoppingNodes();
    // (A non-zero exit is reported by the teardown.)
    const stopped = await target.stopNodes();
    log(`nodes stopped: ${stopped.map(({ name, exit }) => `${name} exit ${exit}`).join(', ')}`);
    await pause(1_000);
  }
  let commitLine = '';
  if (before && target.databaseName) {
    const after = await dbStats(target.databaseName);
    const commits = after.xactCommit - before.xactCommit - productDb.ownCommits();
    commitLine =
      `postgres (pg_stat_database ${target.databaseName}, warm-up + levels, ${bets} bets${target.nodes.length ? '' : ', nodes still running: counters may lag'}): ` +
      `${commits} commits = ${fmt(commits / bets, 2)} per bet, ${after.xactRollback - before.xactRollback} rollbacks, ` +
      `${fmt((after.tupInserted - before.tupInserted) / bets, 1)} rows inserted and ${fmt((after.tupUpdated - before.tupUpdated) / bets, 1)} updated per bet`;
    log(commitLine);
  }
  await productDb.end();
  return { dbLine, commitLine };
}
