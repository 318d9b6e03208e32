import test from 'ava';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { openDb, type Db } from '../src/shared/db.ts';
import { OVERDUE } from '../src/modules/bets/store.ts';
import { startCluster, type TestCluster } from './support/cluster.ts';
import { createOperator } from './support/operators.ts';
import { launch, paramsFor, placeBet, setFaults, waitForBet } from './support/bets.ts';
import { loadSqlParser, touchesHotTable, unkeyedReferences } from './support/operator-keys.ts';

// Issue #21 point 4: every statement of the bet path is keyed by operator, so the schema
// can be distributed by operator_id. The statements are not a hand-copied list: a real node
// logs every statement it sends (test/support/statement-log.mjs) while a session is
// launched, bets are placed, settled, retried by jobs, rolled back, swept and read back, and
// the seeds rotated; each statement that touches a hot table is parsed and checked
// (test/support/operator-keys.ts). A new unkeyed statement on that path fails here; one the
// run does not reach is not checked (docs/scaling.md lists the bet path's statements).

/**
 * The statements that scan across operators by design (docs/scaling.md, "Exceptions"),
 * each a multi-shard query on a distributed schema. Keep the list short. The sweeper's is
 * matched by its text; the others by what identifies them, as they belong to other modules.
 */
const CROSS_OPERATOR: { why: string; matches: (sql: string) => boolean }[] = [
  { why: 'the bet sweeper: bets whose next wallet step is overdue, of every operator', matches: (sql) => sql === OVERDUE },
  // Its read of unrelayed_events is inside the function (migration 0014), where the parser does not look.
  { why: 'the event relay: committed events not relayed yet, in commit order', matches: (sql) => /\brgs_relay_open_pass\b/.test(sql) },
  { why: 'the webhook sweeper: deliveries due again', matches: (sql) => /FROM webhook_deliveries\s+WHERE status = 'pending'\s+AND next_attempt_at < now\(\)/.test(sql) },
  { why: 'resealing seeds under a new key (SECRETS_KEY rotation): a maintenance pass over every pair', matches: (sql) => /FROM seed_pairs\s+WHERE \(active OR revealed_at IS NULL\)/.test(sql) },
];

const statementLog = join(tmpdir(), `rgs-statements-${randomBytes(6).toString('hex')}.jsonl`);
let cluster: TestCluster;
let db: Db;

test.before(async () => {
  await loadSqlParser();
  cluster = await startCluster({
    nodeEnv: {
      NODE_OPTIONS: `--import ${fileURLToPath(new URL('./support/statement-log.mjs', import.meta.url))}`,
      RGS_STATEMENT_LOG: statementLog,
      BET_RETRY_BASE_MS: '30',
      BET_DEBIT_ATTEMPTS: '3',
      SWEEP_INTERVAL_MS: '200',
    },
  });
  db = await openDb(cluster.database.url, 2);
});

test.after.always(async () => {
  await db?.end();
  await cluster?.stop();
  rmSync(statementLog, { force: true });
});

test('the checker finds a hot table read or written without operator_id, and accepts it keyed', (t) => {
  t.deepEqual(unkeyedReferences('UPDATE bets SET status = $2 WHERE id = $1'), ['bets (no operator_id condition)']);
  t.deepEqual(unkeyedReferences('UPDATE bets SET status = $3 WHERE operator_id = $1 AND id = $2'), []);
  t.deepEqual(unkeyedReferences('SELECT 1 FROM bets WHERE operator_id = $1 OR id = $2'), ['bets (no operator_id condition)'], 'an OR does not restrict to one operator');
  t.deepEqual(unkeyedReferences('SELECT * FROM bets b JOIN rounds r ON r.id = b.round_id WHERE b.operator_id = $1'), ['rounds (no operator_id condition)']);
  t.deepEqual(unkeyedReferences('INSERT INTO bet_transitions (bet_id, version, state, at) VALUES ($1, 1, $2, now())'), ['bet_transitions (INSERT without operator_id)']);
  t.deepEqual(
    unkeyedReferences('INSERT INTO wallet_transactions (operator_id, id) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING'),
    ['wallet_transactions (ON CONFLICT key without operator_id)'],
  );
  t.deepEqual(
    unkeyedReferences('WITH c AS (SELECT 1) SELECT (SELECT 1 FROM sessions s WHERE s.token = $1) FROM c'),
    ['sessions (no operator_id condition)'],
    'a sub-select is checked on its own',
  );
  t.true(touchesHotTable('UPDATE bets SET status = $2 WHERE id = $1'), 'an UPDATE target is a reference');
  t.false(touchesHotTable('SELECT 1 FROM operators WHERE id = $1'));
  t.deepEqual(unkeyedReferences(`select "b0".* from "bet_transitions" as "b0" where ("b0"."operator_id", "b0"."bet_id") = ($1, $2)`), [], "MikroORM's composite key");
});

test('every statement a node sends while bets are placed, settled, retried, swept and read touches hot tables only by operator', async (t) => {
  const node = cluster.nodes[0]!;
  const operator = await createOperator(node);
  const client = operator.client();
  const session = await launch(client, 'keyed');

  // A win, a loss, and a bet whose debits time out: retried by jobs, then rolled back.
  const won = await placeBet(client, session, 1_000, await paramsFor(db, operator.id, 'keyed', 'win'));
  const lost = await placeBet(client, session, 1_000, await paramsFor(db, operator.id, 'keyed', 'lose'));
  t.like(await waitForBet(client, won.body.id), { status: 'won' });
  t.like(await waitForBet(client, lost.body.id), { status: 'lost' });
  await setFaults(cluster.wallet.url, { debit: { errorRate: 1 } });
  const failing = await placeBet(client, session, 1_000, await paramsFor(db, operator.id, 'keyed', 'lose'));
  t.like(await waitForBet(client, failing.body.id), { status: 'cancelled' });
  await setFaults(cluster.wallet.url, {});
  // Read-backs, then a seed rotation (the bets are settled).
  for (const path of [`/bets/${won.body.id}`, '/bets?limit=10', `/rounds/${won.body.roundId}`, '/players/keyed/rounds?limit=10', `/transactions?roundId=${won.body.roundId}`, '/outbox']) {
    t.is((await client.get(path)).status, 200, path);
  }
  t.is((await client.get(`/sessions/${session}`)).status, 200);
  t.is((await client.post(`/sessions/${session}/seeds/rotate`, {})).status, 200);
  t.is((await client.post(`/sessions/${session}/revoke`, {})).status, 200);

  const statements = [...new Set(readFileSync(statementLog, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as string))];
  const hot = statements.filter(touchesHotTable);
  t.true(hot.length >= 10, `the run sent the bet path's statements (${hot.length} seen)`);
  const unkeyed = hot.filter((sql) => !CROSS_OPERATOR.some((exception) => exception.matches(sql))).flatMap((sql) => unkeyedReferences(sql).map((problem) => `${problem}: ${sql.replace(/\s+/g, ' ').trim()}`));
  t.deepEqual(unkeyed, [], 'statements on hot tables without an operator_id key');
});
