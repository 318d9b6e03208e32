import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runCeiling, type Ceiling } from './ceiling.ts';
import { startOwnCluster, targetFromEnv, withAdmin, type BenchTarget } from './cluster.ts';
import { cpuDelta, sampleCpu, type CpuTotals } from './cpu.ts';
import { countOf, percentile, runLevel, type LevelResult } from './load.ts';
import { runPacedLevel } from './paced.ts';
import { PROJECT_ROOT, rssMb } from './processes.ts';
import { summariseProfiles, type ProfileSummary } from './profile.ts';
import { runSse, type SseResult } from './sse.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';

// `npm run bench` (SPEC §12): settled bets/s, p50/p99 of POST /bets, errors and RSS of a
// 2-node cluster under load at several concurrencies, next to the machine's ceiling
// measured in the same run. The last line is machine-readable:
//   BENCH bets_per_s=<n> p50_ms=<n> p99_ms=<n> errors=<n> rss_mb=<n> ceiling_tps=<n> ratio=<n>
// Environment: BENCH_DURATION (s, 10), BENCH_CONCURRENCIES (8,16,32,64), BENCH_WARMUP
// (s, 3), BENCH_PLAYERS (2000), BENCH_PROFILE=1 (BENCH_PROFILE_DIR keeps the profiles), BENCH_CEILING_RUNS (2: before and after
// the load), BENCH_MAX_SECONDS (300), BENCH_FAIL_ON_ERRORS=1, CEILING_SCRIPT; to target a
// running cluster: BENCH_TARGET_URLS, BENCH_WALLET_URL, BENCH_ADMIN_TOKEN, BENCH_ADMIN_URL,
// BENCH_WALLET_SECRET, BENCH_DATABASE_URL, BENCH_TARGET_PIDS. The SSE section (bench/sse.ts,
// after the levels): BENCH_SSE=0 skips it, BENCH_SSE_CLIENTS (2000), BENCH_SSE_SAMPLE (200),
// BENCH_SSE_DURATION (s, 10), BENCH_SSE_CONNECTIONS (8). BENCH_NODE_ROOTS=<checkout>,<checkout>
// runs each node from its own checkout, to compare two versions under one load (cluster.ts).
// BENCH_RATES=<bets/s>,… adds open-loop levels after the closed-loop ones (bench/paced.ts).
// BENCH_WEBHOOKS=1 gives the operator a webhook receiver (bench/webhook-receiver.ts).

function numberEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return value;
}

const config = {
  durationS: numberEnv('BENCH_DURATION', 10),
  warmupS: numberEnv('BENCH_WARMUP', 3),
  concurrencies: (process.env.BENCH_CONCURRENCIES ?? '8,16,32,64').split(',').map((raw) => {
    const value = Number(raw.trim());
    if (!Number.isInteger(value) || value < 1) throw new Error(`BENCH_CONCURRENCIES: ${raw} is not a positive integer`);
    return value;
  }),
  rates: (process.env.BENCH_RATES ?? '')
    .split(',')
    .filter((raw) => raw.trim() !== '')
    .map((raw) => {
      const value = Number(raw.trim());
      if (!Number.isFinite(value) || value <= 0) throw new Error(`BENCH_RATES: ${raw} is not a positive number of bets/s`);
      return value;
    }),
  players: Math.floor(numberEnv('BENCH_PLAYERS', 2000)),
  profile: process.env.BENCH_PROFILE === '1' || process.env.BENCH_PROFILE === 'true',
  ceilingRuns: Math.min(2, Math.floor(numberEnv('BENCH_CEILING_RUNS', 2))),
  maxSeconds: numberEnv('BENCH_MAX_SECONDS', 300),
  failOnErrors: process.env.BENCH_FAIL_ON_ERRORS === '1',
  webhooks: process.env.BENCH_WEBHOOKS === '1',
  sse: process.env.BENCH_SSE !== '0' && process.env.BENCH_SSE !== 'false',
  sseClients: Math.floor(numberEnv('BENCH_SSE_CLIENTS', 2_000)),
  sseSample: Math.floor(numberEnv('BENCH_SSE_SAMPLE', 200)),
  sseDurationS: numberEnv('BENCH_SSE_DURATION', 10),
  sseConnections: Math.floor(numberEnv('BENCH_SSE_CONNECTIONS', 8)),
};

const IDLE_PAUSE_MS = 11_000;
// A level within this share of the best throughput counts as reaching it (the knee line).
const KNEE_SHARE = 0.95;
const FINAL_STATUSES = ['won', 'lost', 'rejected', 'cancelled'];
// Open-loop levels: connections per node the generator may open; the p99 the levels are read against (issue #4).
const PACED_CONNECTIONS_PER_NODE = 256;
const P99_TARGET_MS = 100;
const runId = randomBytes(4).toString('hex');
const startedAt = Date.now();
const log = (line: string) => console.error(`bench ${((Date.now() - startedAt) / 1000).toFixed(1).padStart(5)}s  ${line}`);

let teardown: BenchTarget['teardown'] | undefined;
let tornDown: Promise<string[]> | undefined;
const tearDownOnce = () => (tornDown ??= teardown ? teardown(log) : Promise.resolve([]));
let profileDir: string | undefined;
// BENCH_PROFILE_DIR keeps the .cpuprofile files there (open them in Chrome DevTools).
const keepProfiles = process.env.BENCH_PROFILE_DIR;

let aborting = false;

async function abort(reason: string, code: number): Promise<never> {
  aborting = true;
  console.error(`bench: ${reason}; stopping everything it started`);
  const problems = await tearDownOnce().catch((error: Error) => [error.message]);
  for (const problem of problems) console.error(`bench: ${problem}`);
  if (profileDir && !keepProfiles) rmSync(profileDir, { recursive: true, force: true });
  process.exit(code);
}

const watchdog = setTimeout(() => void abort(`still running after BENCH_MAX_SECONDS=${config.maxSeconds}`, 1), config.maxSeconds * 1000);
watchdog.unref();
process.once('SIGINT', () => void abort('interrupted', 130));
process.once('SIGTERM', () => void abort('terminated', 143));

async function post<T>(url: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; body: T }> {
  const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await answer.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: answer.status, body: parsed as T };
}

async function createOperator(target: BenchTarget, webhookUrl: string | undefined): Promise<{ id: string; apiKey: string }> {
  const created = await post<{ id: string; apiKey: string }>(
    `${target.adminUrl}/admin/operators`,
    {
      name: `bench-${runId}`,
      // An operator's own wallet needs its own secret (SPEC §6); without one known, the
      // operator uses the nodes' default wallet (their WALLET_URL, then BENCH_WALLET_URL's mock).
      ...(target.walletSecret && { walletUrl: target.walletUrl, walletSecret: target.walletSecret }),
      ...(webhookUrl && { webhookUrl, webhookSecret: randomBytes(16).toString('hex') }),
      // SPEC §3's default limit (1,000 requests/s per operator) would cap the benchmark.
      rateLimitPerSecond: 1_000_000,
    },
    { authorization: `Bearer ${target.adminToken}` },
  );
  if (created.status !== 201) throw new Error(`operator not created: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body;
}

/** Launches one session per player through POST /sessions/launch, alternating nodes. */
async function launchSessions(target: BenchTarget, apiKey: string, playerPrefix: string): Promise<string[]> {
  const tokens: string[] = new Array(config.players);
  let next = 0;
  const failures: string[] = [];
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= config.players) return;
      const node = target.nodeUrls[index % target.nodeUrls.length]!;
      const launched = await post<{ sessionToken: string }>(
        `${node}/sessions/launch`,
        { playerId: `${playerPrefix}${index}`, currency: 'EUR', jurisdiction: 'MT' },
        { 'x-operator-key': apiKey },
      );
      if (launched.status === 201) tokens[index] = launched.body.sessionToken;
      else if (failures.length < 5) failures.push(`${launched.status} ${JSON.stringify(launched.body)}`);
      else failures.push('');
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  if (failures.length) throw new Error(`${failures.length} of ${config.players} session launches failed, e.g.:\n${failures.filter(Boolean).join('\n')}`);
  return tokens;
}

interface DbStats {
  xactCommit: number;
  xactRollback: number;
  tupInserted: number;
  tupUpdated: number;
}

async function dbStats(name: string): Promise<DbStats> {
  return withAdmin(async (client) => {
    const { rows } = await client.query<{ xact_commit: string; xact_rollback: string; tup_inserted: string; tup_updated: string }>(
      'SELECT xact_commit, xact_rollback, tup_inserted, tup_updated FROM pg_stat_database WHERE datname = $1',
      [name],
    );
    const row = rows[0];
    if (!row) throw new Error(`no pg_stat_database row for ${name}`);
    return { xactCommit: Number(row.xact_commit), xactRollback: Number(row.xact_rollback), tupInserted: Number(row.tup_inserted), tupUpdated: Number(row.tup_updated) };
  });
}

/** The Postgres processes that work for the benchmark: its database's backends and the shared writers. */
async function postgresPids(databaseName: string | undefined): Promise<number[]> {
  return withAdmin(async (client) => {
    const { rows } = await client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
        WHERE ($1::text IS NULL OR datname = $1) OR backend_type IN ('walwriter', 'checkpointer', 'background writer')`,
      [databaseName ?? null],
    );
    return rows.map((row) => row.pid);
  });
}

interface Level {
  /** "c=64" for a closed-loop level, "200/s offered" for an open-loop one. */
  label: string;
  result: LevelResult;
  settledPerS: number;
  p50: number;
  p99: number;
  errors: number;
  accepted: number;
  rss: (number | undefined)[];
  cpu: CpuTotals;
  settled: number;
}

function summarise(label: string, result: LevelResult, rss: (number | undefined)[], cpu: CpuTotals): Level {
  const settled = countOf(result, (status) => status === 201);
  const accepted = countOf(result, (status) => status === 202);
  const non2xx = countOf(result, (status) => status < 200 || status >= 300);
  return {
    label,
    result,
    settled,
    settledPerS: settled / result.durationS,
    p50: percentile(result.latencies, 0.5),
    p99: percentile(result.latencies, 0.99),
    errors: non2xx + result.socketErrors + result.timeouts,
    accepted,
    rss,
    cpu,
  };
}

const fmt = (value: number | undefined, digits: number) => (value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits));

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padStart(widths[column] ?? 0)).join(' | ')} |`;
  return [line(headers), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** SSE_MAX_CLIENTS_PER_OPERATOR and SSE_MAX_CLIENTS for the bench's own nodes: the SSE phase's clients and a margin. */
function sseCaps(): NodeJS.ProcessEnv {
  if (!config.sse) return {};
  const cap = String(Math.max(config.sseClients + 100, 10_000));
  return { SSE_MAX_CLIENTS_PER_OPERATOR: cap, SSE_MAX_CLIENTS: cap };
}

async function main(): Promise<number> {
  const failures: string[] = [];
  const report: string[] = [];
  const targeted = targetFromEnv();
  if (config.profile) profileDir = keepProfiles ? path.resolve(keepProfiles, runId) : mkdtempSync(path.join(os.tmpdir(), 'rgs-bench-prof-'));
  log(
    `run ${runId}: ${targeted ? `targeting ${targeted.nodeUrls.join(', ')}` : 'own 2-node cluster'}; concurrencies ${config.concurrencies.join(',')} × ${config.durationS} s` +
      `${config.profile ? `; CPU profiles in ${profileDir}` : ''}`,
  );
  // The ceiling first, with nothing of ours running: idle RGS nodes are not free (their
  // timers poll Postgres and Redis), and they would lower the machine's number.
  const ceilings: Ceiling[] = [];
  log(`ceiling run 1 of ${config.ceilingRuns} (before anything of the benchmark runs)`);
  ceilings.push(await runCeiling(log));

  let receiver: WebhookReceiver | undefined;
  if (config.webhooks) {
    if (targeted) throw new Error('BENCH_WEBHOOKS needs the bench\'s own cluster (its nodes must trust the receiver\'s certificate)');
    receiver = await startWebhookReceiver();
    // The nodes inherit the bench's environment (processes.ts).
    process.env.NODE_EXTRA_CA_CERTS = receiver.caFile;
    log(`webhook receiver at ${receiver.url}`);
  }
  const target =
    targeted ??
    (await startOwnCluster({
      runId,
      nodeCount: 2,
      profileDir,
      log,
      onCreated: (undo) => (teardown = undo),
      // The SSE phase opens BENCH_SSE_CLIENTS streams of one operator on one node: over
      // SPEC §7's default caps (100 per operator), so they are raised to fit it.
      nodeEnv: sseCaps(),
    }));
  const nodeNames = target.nodes.length ? target.nodes.map((node) => node.name) : target.nodeUrls.map((_, index) => `node-${String.fromCharCode(97 + index)}`);
  // A node that dies during the run makes the run fail (and is reported at once).
  let stoppingNodes = false;
  for (const node of target.nodes) {
    void node.exited.then((exit) => {
      if (!stoppingNodes && !aborting) {
        failures.push(`${node.name} exited (${exit}) during the run`);
        log(`!! ${node.name} exited (${exit}) during the run; last log lines:\n${node.logs.slice(-20).join('\n')}`);
      }
    });
  }

  const operator = await createOperator(target, receiver?.url);
  const playerPrefix = `bench-${runId}-p`;
  const launchStart = Date.now();
  const tokens = await launchSessions(target, operator.apiKey, playerPrefix);
  log(`operator ${operator.id}: ${tokens.length} sessions launched in ${((Date.now() - launchStart) / 1000).toFixed(1)} s`);

  // An idle pause: Postgres backends publish their counters to pg_stat_database at most
  // every 10 s when idle, so the baseline taken after it includes every launch; meanwhile,
  // what idle nodes cost.
  const idlePgPids = await postgresPids(target.databaseName);
  const idleStart = sampleCpu(target.nodePids, target.wallet?.pid, idlePgPids);
  const idleFrom = Date.now();
  await new Promise((resolve) => setTimeout(resolve, IDLE_PAUSE_MS));
  const idle = cpuDelta(idleStart, sampleCpu(target.nodePids, target.wallet?.pid, idlePgPids));
  const idleSeconds = (Date.now() - idleFrom) / 1000;
  const idleLine =
    `idle cost (${fmt(idleSeconds, 0)} s with no requests): nodes ${fmt(idle.nodes / idleSeconds, 1)} ms CPU/s in total, ` +
    `postgres ${fmt(idle.postgres / idleSeconds, 1)} ms/s (this database + writers), redis ${fmt(idle.redis / idleSeconds, 1)} ms/s, ` +
    `machine ${fmt((100 * idle.machineBusy) / Math.max(1, idle.machineTotal), 0)}% busy`;
  log(idleLine);

  const betsDb = target.databaseUrl ? new pg.Client({ connectionString: target.databaseUrl }) : undefined;
  await betsDb?.connect();
  // Our own statements on the product database, subtracted from its commit count.
  let ownCommits = 0;
  const query = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => {
    ownCommits++;
    return betsDb!.query<R>(sql, params);
  };
  const before = target.databaseName ? await dbStats(target.databaseName) : undefined;

  const keyPrefix = `bench-${runId}`;
  log(`warm-up: 16 connections × ${config.warmupS} s (not reported)`);
  await runLevel({ urls: target.nodeUrls, connections: 16, durationS: config.warmupS, apiKey: operator.apiKey, tokens, keyPrefix: `${keyPrefix}-warm` });
  // Fresh tables: let the planner see the rows the warm-up wrote (autovacuum would, later).
  if (betsDb) await query('ANALYZE');
  await new Promise((resolve) => setTimeout(resolve, 1_000));

  const walletPid = target.wallet?.pid;
  const levels: Level[] = [];
  const loadStart = Date.now();
  const nodesCpuAtStart = sampleCpu(target.nodePids, undefined, []).nodes;
  for (const connections of config.concurrencies) {
    const pgBefore = await postgresPids(target.databaseName);
    const cpuBefore = sampleCpu(target.nodePids, walletPid, pgBefore);
    const result = await runLevel({ urls: target.nodeUrls, connections, durationS: config.durationS, apiKey: operator.apiKey, tokens, keyPrefix: `${keyPrefix}-c${connections}` });
    const cpuAfter = sampleCpu(target.nodePids, walletPid, [...new Set([...pgBefore, ...(await postgresPids(target.databaseName))])]);
    const cpu = cpuDelta(cpuBefore, cpuAfter);
    const level = summarise(`c=${connections}`, result, target.nodePids.map(rssMb), cpu);
    levels.push(level);
    log(
      `c=${connections}: ${fmt(level.settledPerS, 1)} settled bets/s, p50 ${fmt(level.p50, 2)} ms, p99 ${fmt(level.p99, 2)} ms, ` +
        `errors ${level.errors}, 202s ${level.accepted}, statuses ${JSON.stringify(Object.fromEntries(result.statuses))}`,
    );
    for (const [problem, count] of result.problems) log(`   non-2xx ${problem}: ${count}`);
    for (const sample of result.problemSamples.slice(0, 2)) log(`   e.g. ${sample}`);
    for (const [message, count] of result.errorMessages) log(`   socket error "${message}": ${count}`);
    // Let the settlements still running from the last requests finish before the next level.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  const loadEnd = Date.now();
  const nodesCpuMs = sampleCpu(target.nodePids, undefined, []).nodes - nodesCpuAtStart;

  // Open loop: a fixed offered rate each, after the closed-loop levels (and outside the profile window).
  const pacedLevels: (Level & { ratePerS: number })[] = [];
  for (const ratePerS of config.rates) {
    const pgBefore = await postgresPids(target.databaseName);
    const cpuBefore = sampleCpu(target.nodePids, walletPid, pgBefore);
    const result = await runPacedLevel({
      urls: target.nodeUrls,
      ratePerS,
      durationS: config.durationS,
      apiKey: operator.apiKey,
      tokens,
      keyPrefix: `${keyPrefix}-r${ratePerS}`,
      connectionsPerUrl: PACED_CONNECTIONS_PER_NODE,
    });
    const cpuAfter = sampleCpu(target.nodePids, walletPid, [...new Set([...pgBefore, ...(await postgresPids(target.databaseName))])]);
    const level = { ...summarise(`${ratePerS}/s offered`, result, target.nodePids.map(rssMb), cpuDelta(cpuBefore, cpuAfter)), ratePerS };
    pacedLevels.push(level);
    log(
      `${ratePerS} bets/s offered: ${fmt(level.settledPerS, 1)} settled bets/s, p50 ${fmt(level.p50, 2)} ms, p99 ${fmt(level.p99, 2)} ms, ` +
        `errors ${level.errors}, 202s ${level.accepted}, statuses ${JSON.stringify(Object.fromEntries(result.statuses))}`,
    );
    for (const [problem, count] of result.problems) log(`   non-2xx ${problem}: ${count}`);
    for (const [message, count] of result.errorMessages) log(`   error "${message}": ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }

  // SSE: idle GET /stream clients on one node while bets run (its bets are in the database
  // checks below, not in the levels' figures).
  let sse: SseResult | undefined;
  let sseCpuLine = '';
  if (config.sse) {
    log(`SSE: opening ${config.sseClients} clients on ${nodeNames[0]} (${target.nodeUrls[0]})`);
    if (targeted) log('SSE: a targeted cluster keeps its own SSE_MAX_CLIENTS_PER_OPERATOR / SSE_MAX_CLIENTS: clients over them get 429');
    const sseCpuBefore = sampleCpu(target.nodePids.slice(0, 1), undefined, []);
    const sseFrom = Date.now();
    sse = await runSse({
      nodeUrl: target.nodeUrls[0]!,
      nodePid: target.nodePids[0],
      loadUrls: target.nodeUrls,
      apiKey: operator.apiKey,
      tokens,
      keyPrefix: `${keyPrefix}-sse`,
      requested: config.sseClients,
      sample: config.sseSample,
      durationS: config.sseDurationS,
      connections: config.sseConnections,
      log,
      countEvents: betsDb
        ? async () => Number((await query<{ n: string }>('SELECT count(*) AS n FROM events WHERE operator_id = $1', [operator.id])).rows[0]?.n ?? 0)
        : undefined,
      drainMaxS: 60,
    });
    const sseCpu = cpuDelta(sseCpuBefore, sampleCpu(target.nodePids.slice(0, 1), undefined, []));
    const sseSeconds = (Date.now() - sseFrom) / 1000;
    sseCpuLine =
      `  CPU over the whole SSE phase (${fmt(sseSeconds, 0)} s, opening to close): ${nodeNames[0]} ${fmt(sseCpu.nodes / sseSeconds, 0)} ms/s, ` +
      `this bench process (all SSE clients + autocannon) ${fmt(sseCpu.loadgen / sseSeconds, 0)} ms/s, machine ` +
      `${fmt((100 * sseCpu.machineBusy) / Math.max(1, sseCpu.machineTotal), 0)}% busy (${os.cpus().length} CPUs)`;
    log(
      `SSE: ${sse.events} events received (database: ${sse.eventsProduced ?? "n/a"}), latency p50 ${fmt(percentile(sse.latencies, 0.5), 0)} ms, p99 ${fmt(percentile(sse.latencies, 0.99), 0)} ms, ` +
        `disconnects ${sse.disconnects}`,
    );
    if (sse.connected < sse.attempted) failures.push(`SSE: only ${sse.connected} of ${sse.attempted} clients connected`);
    if (sse.eventsProduced !== undefined && sse.events < sse.eventsProduced) {
      failures.push(`SSE: sampled clients received ${sse.events} of the ${sse.eventsProduced} events the load produced`);
    }
    if (sse.disconnects > 0) failures.push(`SSE: ${sse.disconnects} clients disconnected before the bench closed them`);
  }

  // Webhooks: every event of the run reaches the receiver once its deliveries drain.
  let webhookLine = '';
  if (receiver && betsDb) {
    const drainFrom = Date.now();
    const deadline = drainFrom + 120_000;
    let counts = { events: 0, pending: 0, delivered: 0, failed: 0, retried: 0 };
    for (;;) {
      const { rows } = await query<{ events: string; pending: string; delivered: string; failed: string; retried: string }>(
        `SELECT (SELECT count(*) FROM events WHERE operator_id = $1) AS events,
                count(*) FILTER (WHERE status = 'pending') AS pending, count(*) FILTER (WHERE status = 'delivered') AS delivered,
                count(*) FILTER (WHERE status = 'failed') AS failed, count(*) FILTER (WHERE attempts > 1) AS retried
           FROM webhook_deliveries WHERE operator_id = $1`,
        [operator.id],
      );
      const row = rows[0];
      counts = { events: Number(row?.events), pending: Number(row?.pending), delivered: Number(row?.delivered), failed: Number(row?.failed), retried: Number(row?.retried) };
      if ((counts.pending === 0 && counts.delivered + counts.failed >= counts.events) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    webhookLine =
      `webhooks: ${counts.events} events, ${counts.delivered} deliveries delivered (${counts.retried} after more than one attempt), ${counts.failed} failed, ${counts.pending} pending; ` +
      `the receiver got ${receiver.received()} POSTs (${receiver.distinct()} distinct events); drained ${fmt((Date.now() - drainFrom) / 1000, 1)} s after the load`;
    log(webhookLine);
    if (counts.failed > 0 || counts.pending > 0) failures.push(`webhooks: ${counts.failed} deliveries failed, ${counts.pending} still pending`);
    if (receiver.distinct() < counts.events) failures.push(`webhooks: the receiver got ${receiver.distinct()} of ${counts.events} events`);
  }

  // Sanity: every bet in the database was debited exactly once at the wallet mock.
  let dbLine = 'database checks skipped (BENCH_DATABASE_URL not set)';
  let commitLine = '';
  const totalSettled = [...levels, ...pacedLevels].reduce((sum, level) => sum + level.settled, 0);
  if (betsDb) {
    const deadline = Date.now() + 30_000;
    let open = 0;
    for (;;) {
      const { rows } = await query<{ open: string }>(`SELECT count(*) AS open FROM bets WHERE operator_id = $1 AND status <> ALL($2)`, [operator.id, FINAL_STATUSES]);
      open = Number(rows[0]?.open);
      if (open === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const { rows: byStatus } = await query<{ status: string; count: string }>(
      'SELECT status, count(*) FROM bets WHERE operator_id = $1 GROUP BY status ORDER BY status',
      [operator.id],
    );
    const bets = byStatus.reduce((sum, row) => sum + Number(row.count), 0);
    const ledger = (await (await fetch(`${target.walletUrl}/__ledger?operatorId=${operator.id}`)).json()) as { items: { kind: string; playerId: string; status: string }[] };
    const debits = ledger.items.filter((item) => item.kind === 'debit' && item.playerId.startsWith(playerPrefix));
    const applied = debits.filter((item) => item.status === 'applied').length;
    const ok = debits.length === bets;
    dbLine =
      `verification: wallet-mock ledger debits = ${debits.length} (applied ${applied}), bets in the database = ${bets} ` +
      `(${byStatus.map((row) => `${row.status} ${row.count}`).join(', ')}) → ${ok ? 'OK' : 'MISMATCH'}; ` +
      `201 answers counted in the measured levels = ${totalSettled} (≤ bets: ${totalSettled <= bets ? 'OK' : 'MISMATCH'})`;
    if (!ok) failures.push(`ledger debits (${debits.length}) differ from bets in the database (${bets})`);
    if (totalSettled > bets) failures.push(`more 201 answers (${totalSettled}) than bets in the database (${bets})`);
    if (open) failures.push(`${open} bets still not final 30 s after the load`);
    log(dbLine);

    // Transactions per bet: nodes stopped first, so every backend has flushed its counters.
    if (target.nodes.length && before && target.databaseName) {
      stoppingNodes = true;
      // (A non-zero exit is reported by the teardown.)
      const stopped = await target.stopNodes();
      log(`nodes stopped: ${stopped.map(({ name, exit }) => `${name} exit ${exit}`).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    if (before && target.databaseName) {
      const after = await dbStats(target.databaseName);
      const commits = after.xactCommit - before.xactCommit - ownCommits;
      commitLine =
        `postgres (pg_stat_database ${target.databaseName}, warm-up + levels, ${bets} bets${target.nodes.length ? '' : ', nodes still running: counters may lag'}): ` +
        `${commits} commits = ${fmt(commits / bets, 2)} per bet, ${after.xactRollback - before.xactRollback} rollbacks, ` +
        `${fmt((after.tupInserted - before.tupInserted) / bets, 1)} rows inserted and ${fmt((after.tupUpdated - before.tupUpdated) / bets, 1)} updated per bet`;
      log(commitLine);
    }
    await betsDb.end();
  } else {
    const ledger = (await (await fetch(`${target.walletUrl}/__ledger?operatorId=${operator.id}`)).json()) as { items: { kind: string; playerId: string }[] };
    const debits = ledger.items.filter((item) => item.kind === 'debit' && item.playerId.startsWith(playerPrefix)).length;
    dbLine = `verification: wallet-mock ledger debits = ${debits}; 201 answers = ${totalSettled} (${debits >= totalSettled ? 'OK' : 'MISMATCH'}); database not checked`;
    if (debits < totalSettled) failures.push(`fewer ledger debits (${debits}) than 201 answers (${totalSettled})`);
  }

  stoppingNodes = true;
  const problems = await tearDownOnce();
  await receiver?.close();
  failures.push(...problems);
  // Warnings and errors the processes logged (LOG_LEVEL=warn): counted by message.
  const logged = new Map<string, number>();
  for (const proc of [...target.nodes, ...(target.wallet ? [target.wallet] : [])]) {
    for (const line of proc.logs) {
      let message = line;
      try {
        const parsed = JSON.parse(line) as { msg?: string; level?: number; err?: { message?: string } };
        if (parsed.msg?.endsWith('listening')) continue;
        message = `${parsed.msg ?? ''}${parsed.err?.message ? `: ${parsed.err.message}` : ''}`;
      } catch {
        // not JSON: keep the line
      }
      const key = `${proc.name}: ${message.slice(0, 300)}`;
      logged.set(key, (logged.get(key) ?? 0) + 1);
    }
  }

  if (config.ceilingRuns > 1) {
    log('ceiling run 2 of 2 (after the load)');
    ceilings.push(await runCeiling(log));
  }
  const ceilingTps = ceilings.reduce((sum, ceiling) => sum + ceiling.tps, 0) / ceilings.length;

  let profile: ProfileSummary | undefined;
  if (profileDir) {
    profile = summariseProfiles(profileDir, PROJECT_ROOT, (file) => {
      const name = path.basename(path.dirname(file));
      const spawned = target.spawnedAt.get(name);
      return spawned === undefined ? undefined : { fromMs: loadStart - spawned, toMs: loadEnd - spawned };
    });
    if (profile.files.length < target.nodes.length) failures.push(`expected ${target.nodes.length} CPU profiles, found ${profile.files.length}`);
  }

  // ---- report (stdout) ----
  const best = levels.reduce((a, b) => (b.settledPerS > a.settledPerS ? b : a));
  report.push('');
  report.push(
    `RGS benchmark ${runId}: POST /bets (dice, amount 100, target 50 under) over ${target.nodeUrls.length} nodes, ${config.players} players, ` +
      `${config.durationS} s per level${config.profile ? ', PROFILE MODE (--cpu-prof on the nodes: slower)' : ''}`,
  );
  report.push(`ceiling: ${ceilings.map((ceiling) => `${ceiling.tps} tps (c=${ceiling.clients}, p50 ${ceiling.p50Ms} ms, p99 ${ceiling.p99Ms} ms)`).join(' / ')} → mean ${fmt(ceilingTps, 0)}`);
  report.push('');
  report.push(
    table(
      ['concurrency', 'settled bets/s', 'p50 ms', 'p99 ms', 'errors', '202s', ...nodeNames.map((name) => `RSS ${name} MB`), 'ceiling tps', 'ratio'],
      levels.map((level) => [
        String(level.result.connections),
        fmt(level.settledPerS, 1),
        fmt(level.p50, 2),
        fmt(level.p99, 2),
        String(level.errors),
        String(level.accepted),
        ...nodeNames.map((_, index) => fmt(level.rss[index], 1)),
        fmt(ceilingTps, 0),
        fmt(level.settledPerS / ceilingTps, 3),
      ]),
    ),
  );
  // Information only (the BENCH line stays the literal best level): where adding
  // connections stops adding throughput and only adds queueing.
  const knee = levels
    .filter((level) => level.settledPerS >= KNEE_SHARE * best.settledPerS)
    .reduce((a, b) => (b.result.connections < a.result.connections ? b : a));
  report.push(
    `knee (the lowest concurrency within ${fmt(100 * (1 - KNEE_SHARE), 0)} % of the best throughput): c=${knee.result.connections}, ` +
      `${fmt(knee.settledPerS, 1)} bets/s, p50 ${fmt(knee.p50, 2)} ms, p99 ${fmt(knee.p99, 2)} ms`,
  );
  // Information only, as the knee: the most a level settled while its p99 stayed within
  // the target. In a closed loop at saturation the mean latency is connections ÷ bets/s,
  // so the best level's p99 follows from its throughput; this says how far the target holds.
  const withinTarget = levels.filter((level) => level.errors === 0 && level.p99 <= P99_TARGET_MS);
  const bestWithin = withinTarget.length ? withinTarget.reduce((a, b) => (b.settledPerS > a.settledPerS ? b : a)) : undefined;
  report.push(
    bestWithin
      ? `best level with p99 ≤ ${P99_TARGET_MS} ms and no errors: c=${bestWithin.result.connections}, ${fmt(bestWithin.settledPerS, 1)} bets/s, ` +
          `p50 ${fmt(bestWithin.p50, 2)} ms, p99 ${fmt(bestWithin.p99, 2)} ms, ratio ${fmt(bestWithin.settledPerS / ceilingTps, 3)}`
      : `no level kept p99 ≤ ${P99_TARGET_MS} ms without errors`,
  );
  // Where the tail comes from: a won bet makes two more hops than a lost one (its credit
  // call and that call's transition), so the two outcomes have different latencies. By
  // node: each node's answers, which tells two versions apart in a BENCH_NODE_ROOTS run.
  const states = [...new Set(levels.flatMap((level) => [...level.result.latenciesByState.keys()]))].sort();
  const summary = (sorted: Float64Array | undefined) =>
    sorted?.length ? `${sorted.length} / ${fmt(percentile(sorted, 0.5), 1)} / ${fmt(percentile(sorted, 0.99), 1)}` : '-';
  report.push('');
  report.push('latency of the 2xx answers by the bet\'s status in the answer, and by the node that answered (n / p50 ms / p99 ms):');
  report.push(
    table(
      ['concurrency', ...states, ...nodeNames],
      levels.map((level) => [
        String(level.result.connections),
        ...states.map((state) => summary(level.result.latenciesByState.get(state))),
        ...nodeNames.map((_, index) => summary(level.result.latenciesByUrl[index])),
      ]),
    ),
  );
  report.push('');
  report.push(
    'CPU ms per settled bet (/proc utime+stime; postgres = this database\'s backends + WAL/checkpoint writers; redis is shared with ' +
      'anything else using it; "others" = share of all cores busy with processes not listed, i.e. a noisy machine):',
  );
  report.push(
    table(
      ['level', 'nodes', 'each node (per bet it answered)', 'postgres', 'redis', 'walletmock', 'loadgen', 'total', 'machine busy', 'others'],
      [...levels, ...pacedLevels].map((level) => {
        const per = (ms: number) => fmt(ms / Math.max(1, level.settled), 3);
        const { cpu } = level;
        const answered = level.result.answeredByUrl;
        const eachNode =
          cpu.eachNode.length === answered.length ? cpu.eachNode.map((ms, index) => fmt(ms / Math.max(1, answered[index] ?? 0), 3)).join(' / ') : 'n/a';
        const ours = cpu.nodes + cpu.postgres + cpu.redis + cpu.wallet + cpu.loadgen;
        const share = (ms: number) => `${fmt((100 * ms) / Math.max(1, cpu.machineTotal), 0)}%`;
        return [
          level.label,
          per(cpu.nodes),
          eachNode,
          per(cpu.postgres),
          per(cpu.redis),
          walletPid === undefined ? 'n/a' : per(cpu.wallet),
          per(cpu.loadgen),
          per(ours),
          share(cpu.machineBusy),
          share(Math.max(0, cpu.machineBusy - ours)),
        ];
      }),
    ),
  );
  if (pacedLevels.length) {
    report.push('');
    report.push(
      `open loop (BENCH_RATES): bets sent at a fixed rate over all nodes, answered or not; latency from each request's due time; ` +
        `up to ${PACED_CONNECTIONS_PER_NODE} connections per node:`,
    );
    report.push(
      table(
        ['offered bets/s', 'settled bets/s', 'p50 ms', 'p99 ms', 'won p99 ms', 'lost p99 ms', 'errors', '202s', 'CPU ms per bet', 'machine busy'],
        pacedLevels.map((level) => {
          const { cpu } = level;
          const ours = cpu.nodes + cpu.postgres + cpu.redis + cpu.wallet + cpu.loadgen;
          const p99Of = (state: string) => fmt(percentile(level.result.latenciesByState.get(state) ?? new Float64Array(), 0.99), 1);
          return [
            fmt(level.ratePerS, 0),
            fmt(level.settledPerS, 1),
            fmt(level.p50, 2),
            fmt(level.p99, 2),
            p99Of('won'),
            p99Of('lost'),
            String(level.errors),
            String(level.accepted),
            fmt(ours / Math.max(1, level.settled), 3),
            `${fmt((100 * cpu.machineBusy) / Math.max(1, cpu.machineTotal), 0)}%`,
          ];
        }),
      ),
    );
    const within = pacedLevels.filter((level) => level.errors === 0 && level.p99 <= P99_TARGET_MS);
    const highest = within.reduce<(typeof pacedLevels)[number] | undefined>((a, b) => (a && a.ratePerS >= b.ratePerS ? a : b), undefined);
    report.push(
      highest
        ? `highest offered rate with p99 ≤ ${P99_TARGET_MS} ms and no errors: ${fmt(highest.ratePerS, 0)} bets/s (p99 ${fmt(highest.p99, 2)} ms; ratio to the ceiling ${fmt(highest.settledPerS / ceilingTps, 3)})`
        : `no offered rate measured kept p99 ≤ ${P99_TARGET_MS} ms without errors`,
    );
  }
  if (sse) {
    const settled = countOf(sse.load, (status) => status === 201);
    report.push('');
    report.push(
      `SSE: idle GET /stream clients on ${nodeNames[0]} for the bench operator; bets at ${sse.load.connections} connections × ` +
        `${fmt(sse.load.durationS, 0)} s over all nodes meanwhile (${fmt(settled / sse.load.durationS, 1)} settled bets/s, ` +
        `statuses ${JSON.stringify(Object.fromEntries(sse.load.statuses))}); latency = receive time − event occurredAt, over every frame of ` +
        `${sse.sampled} sampled clients:`,
    );
    if (sse.capNote) report.push(`  ${sse.capNote}`);
    report.push(
      table(
        ['clients requested', 'clients connected', 'RSS before MB', 'RSS after MB', 'events during run', 'events received', 'latency p50 ms', 'p99 ms', 'disconnects'],
        [
          [
            String(sse.requested),
            String(sse.connected),
            fmt(sse.rssBefore, 1),
            fmt(sse.rssAfter, 1),
            sse.eventsProduced === undefined ? 'n/a' : String(sse.eventsProduced),
            String(sse.events),
            fmt(percentile(sse.latencies, 0.5), 0),
            fmt(percentile(sse.latencies, 0.99), 0),
            String(sse.disconnects),
          ],
        ],
      ),
    );
    report.push(
      `  opened in ${fmt(sse.openSeconds, 1)} s (batches of 500); frames per sampled client min ${sse.framesPerSample.min} / mean ` +
        `${fmt(sse.framesPerSample.mean, 1)} / max ${sse.framesPerSample.max}; latency max ${fmt(sse.latencies[sse.latencies.length - 1], 0)} ms over ` +
        `${sse.latencies.length} frames; by the load's end the sampled clients had ${sse.eventsByLoadEnd} events, the rest arrived within ` +
        `${fmt(sse.drainSeconds, 1)} s after it${sse.drainCapped ? ' (drain cap of 60 s reached)' : ''}; ${sse.connected - sse.disconnects} of ${sse.connected} still connected at the end` +
        (sse.openFailures.size ? `; open failures ${JSON.stringify(Object.fromEntries(sse.openFailures))}` : '') +
        (sse.controlFrames.size ? `; control frames ${JSON.stringify(Object.fromEntries(sse.controlFrames))}` : ''),
    );
    report.push(sseCpuLine);
  }
  report.push('');
  report.push(dbLine);
  if (webhookLine) report.push(webhookLine);
  if (commitLine) report.push(commitLine);
  report.push(idleLine);
  if (target.cleanup.redisKeys !== undefined) {
    report.push(`redis: ${target.cleanup.redisKeys} keys under the run's prefix at the end (deleted)`);
  }
  const problemLines = levels.flatMap((level) => [
    ...[...level.result.problems].map(([problem, count]) => `c=${level.result.connections}: non-2xx ${problem} × ${count}`),
    ...[...level.result.errorMessages].map(([message, count]) => `c=${level.result.connections}: socket error "${message}" × ${count}`),
  ]);
  if (problemLines.length || logged.size) {
    report.push('');
    report.push('problems seen:');
    for (const line of problemLines) report.push(`  ${line}`);
    for (const [message, count] of [...logged].sort((a, b) => b[1] - a[1]).slice(0, 20)) report.push(`  logged × ${count}  ${message}`);
  }
  if (profile) {
    const busy = profile.busyMs || 1;
    report.push('');
    report.push(
      `where the CPU goes (nodes' V8 profiles, main threads, measured levels only: ${fmt(profile.busyMs, 0)} ms busy in ` +
        `${fmt(profile.windowMs, 0)} ms of wall time × ${profile.files.length} processes)`,
    );
    // V8 samples the thread on a wall clock: a thread preempted inside a syscall (a socket
    // write that woke a Postgres backend, on 2 busy cores) keeps being sampled there.
    const writes = profile.byFunction.filter((entry) => /^(writev|writeBuffer)$/.test(entry.name)).reduce((sum, entry) => sum + entry.ms, 0);
    const rest = Math.max(1, busy - writes);
    report.push(
      `  the nodes' own CPU time over the same window (/proc): ${fmt(nodesCpuMs, 0)} ms. V8 samples on a wall clock, so a thread that is ` +
        `preempted or waiting inside a syscall is still counted there; ${fmt(writes, 0)} ms sit in socket writes (writev/writeBuffer). ` +
        `"% excl. writes" is each entry's share of the other ${fmt(busy - writes, 0)} ms.`,
    );
    report.push(`  socket-write time by caller: ${profile.writesByCaller.map((entry) => `${entry.name} ${fmt(entry.ms, 0)} ms`).join(', ')}`);
    const isWrite = (name: string) => /^(writev|writeBuffer)$/.test(name);
    const shareExcl = (entry: { name: string; ms: number }) => (isWrite(entry.name) ? '-' : fmt((100 * entry.ms) / rest, 1));
    report.push('top 25 functions by self time (line:column in the transpiled code for project files):');
    report.push(
      table(
        ['self ms', '%', '% excl. writes', 'function  file:line:col'],
        profile.byFunction.map((entry) => [fmt(entry.ms, 0), fmt((100 * entry.ms) / busy, 1), shareExcl(entry), entry.name]),
      ),
    );
    report.push('by file / package:');
    report.push(table(['self ms', '%', 'file or package'], profile.byFile.map((entry) => [fmt(entry.ms, 0), fmt((100 * entry.ms) / busy, 1), entry.name])));
    if (keepProfiles) report.push(`profiles kept in ${profileDir}`);
    else rmSync(profileDir!, { recursive: true, force: true });
  }
  if (config.failOnErrors && [...levels, ...pacedLevels].some((level) => level.errors > 0)) failures.push('errors during the load (BENCH_FAIL_ON_ERRORS=1)');
  if (failures.length) {
    report.push('');
    report.push('FAILED:');
    for (const failure of failures) report.push(`  ${failure}`);
  }
  const rssMax = Math.max(0, ...best.rss.map((value) => value ?? 0));
  report.push('');
  report.push(
    `BENCH bets_per_s=${fmt(best.settledPerS, 1)} p50_ms=${fmt(best.p50, 2)} p99_ms=${fmt(best.p99, 2)} errors=${best.errors} ` +
      `rss_mb=${fmt(rssMax, 1)} ceiling_tps=${fmt(ceilingTps, 0)} ratio=${fmt(best.settledPerS / ceilingTps, 3)}`,
  );
  log(`done in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
  console.log(report.join('\n'));
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => void abort(`failed: ${error.stack ?? error.message}`, 1),
);
