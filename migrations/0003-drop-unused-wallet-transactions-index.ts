import { Migration } from '@mikro-orm/migrations';

/**
 * `wallet_tx_bet` (bet_id) has no reader: the bet path, the sweeper and the outbox find a
 * bet's wallet transactions by their deterministic ids (`<betId>:debit|credit|rollback`,
 * the primary key), and `GET /transactions` reads through the operator's indexes. Every
 * wallet transaction (~1.5 per bet) paid an insert into it.
 */
export class DropUnusedWalletTransactionsIndex0003 extends Migration {
  override async up(): Promise<void> {
    this.addSql('DROP INDEX IF EXISTS wallet_tx_bet;');
  }

  override async down(): Promise<void> {
    this.addSql('CREATE INDEX IF NOT EXISTS wallet_tx_bet ON wallet_transactions (bet_id);');
  }
}
