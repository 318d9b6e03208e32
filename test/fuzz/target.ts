import { createHash } from 'node:crypto';
import { openDb } from '../../src/shared/db.ts';
import { startCluster, TEST_ADMIN_TOKEN, TEST_WALLET_SECRET, type TestCluster } from '../support/cluster.ts';
import { adminUrlOf, createOperator } from '../support/operators.ts';
import { launch, paramsFor, placeBet, waitForBet } from '../support/bets.ts';
import type { Fixtures } from './catalog.ts';
import type { WalletMockFixtures } from './walletmock-cases.ts';

/**
 * Rows and a content hash per table of the public schema, and per book of the wallet mock
 * (`walletmock /__ledger`, its fault and spy settings): what "no state change" is checked
 * against.
 */
export type DatabaseState = Record<string, { rows: number; hash: string }>;

export interface FuzzTarget {
  /** The node's public port. */
  baseUrl: string;
  /** The node's admin listener: the admin API and /metrics (SPEC §2). */
  adminUrl: string;
  walletUrl: string;
  fixtures: Fixtures;
  walletFixtures: WalletMockFixtures;
  state(): Promise<DatabaseState>;
  stop(): Promise<void>;
}

/** The mock's books as the fuzzer compares them: each GET's body, hashed. Its request counts (`/__stats`) change with every request, by design. */
async function walletMockState(walletUrl: string): Promise<DatabaseState> {
  const state: DatabaseState = {};
  for (const path of ['/__ledger', '/__faults', '/__spy']) {
    const response = await fetch(`${walletUrl}${path}`);
    const text = await response.text();
    if (response.status !== 200) throw new Error(`walletmock GET ${path}: ${response.status} ${text}`);
    const items = (JSON.parse(text) as { items?: unknown[] }).items;
    state[`walletmock ${path}`] = { rows: items?.length ?? 1, hash: createHash('sha256').update(text).digest('hex') };
  }
  return state;
}

/** Tables whose rows differ between two states, with their row counts. */
export function stateDiff(before: DatabaseState, after: DatabaseState): string[] {
  const tables = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...tables]
    .filter((table) => before[table]?.rows !== after[table]?.rows || before[table]?.hash !== after[table]?.hash)
    .map((table) => `${table}: ${before[table]?.rows ?? 'none'} → ${after[table]?.rows ?? 'none'} rows${before[table]?.rows === after[table]?.rows ? ' (contents changed)' : ''}`);
}

/**
 * A database, Redis prefix, wallet mock and RGS node of their own, with one operator that
 * owns real things to aim at: a player with an active session and a settled bet (so
 * a round, wallet transactions, events and audit entries exist).
 */
export async function startFuzzTarget(): Promise<FuzzTarget> {
  const cluster: TestCluster = await startCluster({ nodes: 1 });
  const db = await openDb(cluster.database.url, 2);
  try {
    const baseUrl = cluster.nodes[0]!.url;
    const adminUrl = adminUrlOf(cluster.nodes[0]!);
    // The rate limit is set out of the way: the fuzzer tests inputs, not the limiter.
    const operator = await createOperator(cluster.nodes[0]!, { rateLimitPerSecond: 1_000_000 });
    const client = operator.client();
    const playerId = 'fuzz-player';
    const sessionToken = await launch(client, playerId);
    const placed = await placeBet(client, sessionToken, 100, await paramsFor(db, operator.id, playerId, 'lose'));
    if (placed.status !== 201 && placed.status !== 202) throw new Error(`fixture bet not placed: ${placed.status} ${JSON.stringify(placed.body)}`);
    const bet = await waitForBet(client, placed.body.id);

    const { rows: tables } = await db.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    const stateQuery = tables
      .map(({ tablename }) => `SELECT '${tablename}' AS name, count(*)::int AS rows, coalesce(sum(hashtextextended(t::text, 0)), 0)::text AS hash FROM "${tablename}" t`)
      .join(' UNION ALL ');
    const state = async (): Promise<DatabaseState> => {
      const { rows } = await db.query<{ name: string; rows: number; hash: string }>(stateQuery);
      return { ...Object.fromEntries(rows.map((row) => [row.name, { rows: row.rows, hash: row.hash }])), ...(await walletMockState(cluster.wallet.url)) };
    };

    // The fixtures' own after-effects (event relay, settlement audit) finish before the run.
    const deadline = Date.now() + 30_000;
    for (let previous = await state(); ; ) {
      const { rows } = await db.query<{ pending: number }>('SELECT count(*)::int AS pending FROM unrelayed_events');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const current = await state();
      if (rows[0]?.pending === 0 && stateDiff(previous, current).length === 0) break;
      if (Date.now() > deadline) throw new Error(`the fixtures never settled: ${stateDiff(previous, current).join(', ')}`);
      previous = current;
    }

    return {
      baseUrl,
      adminUrl,
      walletUrl: cluster.wallet.url,
      walletFixtures: { secret: TEST_WALLET_SECRET, operatorId: operator.id, playerId },
      fixtures: { operatorId: operator.id, apiKey: operator.apiKey, adminToken: TEST_ADMIN_TOKEN, sessionToken, playerId, betId: bet.id, roundId: bet.roundId },
      state,
      async stop() {
        await db.end();
        await cluster.stop();
      },
    };
  } catch (error) {
    await db.end();
    await cluster.stop();
    throw error;
  }
}
