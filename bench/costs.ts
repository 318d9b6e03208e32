import { closeSync, openSync, readSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import pg from 'pg';
import type { BenchTarget } from './cluster.ts';
import { REDIS_URL, withAdmin } from './cluster.ts';
import { log, pause } from './config.ts';
import { fmt, table } from './table.ts';

// BENCH_COUNTS=1: what a settled bet costs in countable units, per open-loop level and per
// second at idle (docs/performance.md, "A bet's fixed costs"). Counts do not drift with the
// machine as CPU times do, so two versions compare by them run against run:
// - Postgres statements, from the server log: the application role logs every statement
//   in the bench database (ALTER ROLE … IN DATABASE … SET log_statement = 'all', from the
//   node's next connection on); the log is BENCH_PG_LOG (the Debian cluster's file by default).
//   Logging costs Postgres some CPU: read CPU figures from a run without BENCH_COUNTS.
// - commits and rows, from pg_stat_database after the level has settled for 11 s
//   (idle backends publish their counters within 10 s);
// - wallet calls, from the wallet mock's GET /__stats;
// - Redis commands of the nodes' connections (named with the run's prefix) and of the
//   scripts they run, from a MONITOR connection (other users of the same Redis are left out);
// - the nodes' write syscalls (syscw of /proc/<pid>/io: socket writes, log lines,
//   threadpool wake-ups) and context switches (/proc/<pid>/status: each wake-up of the
//   process costs at least one).

const DEFAULT_PG_LOG = '/var/log/postgresql/postgresql-15-main.log';
/** pg_stat_database lags an idle backend by up to 10 s. */
const SETTLE_MS = 11_000;

export interface CountsSample {
  at: number;
  logOffset: number | undefined;
  xactCommit: number;
  xactRollback: number;
  tupInserted: number;
  tupUpdated: number;
  tupDeleted: number;
  walletCalls: number;
  /** Rows in bets: the levels' counts are per bet placed (a bet answered 202 or late costs the same). */
  bets: number;
  redis: Map<string, number>;
  /** Per node, in the order of the target's pids. */
  syscw: number[];
  syscr: number[];
  switches: number[];
}

export interface CountsDelta {
  seconds: number;
  statements: Map<string, number> | undefined;
  xactCommit: number;
  xactRollback: number;
  tupInserted: number;
  tupUpdated: number;
  tupDeleted: number;
  walletCalls: number;
  bets: number;
  redis: Map<string, number>;
  syscw: number[];
  syscr: number[];
  switches: number[];
}

function procCounter(pid: number, file: 'io' | 'status', fields: string[]): number {
  try {
    const text = readFileSync(`/proc/${pid}/${file}`, 'utf8');
    return fields.reduce((sum, field) => sum + Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0), 0);
  } catch {
    return 0;
  }
}

/** Redis MONITOR, counting the commands of the run's own connections and of the scripts they call. */
class RedisMonitor {
  private readonly socket: net.Socket;
  private readonly admin: net.Socket;
  private buffer = '';
  /** addr → command → count, resolved to the run's connections at sample time. */
  private readonly byAddress = new Map<string, Map<string, number>>();
  private readonly scripts = new Map<string, number>();
  private readonly names = new Map<string, string>();
  private adminBuffer = '';
  private readonly timer: NodeJS.Timeout;

  constructor(
    url: string,
    private readonly prefix: string,
  ) {
    const { hostname, port } = new URL(url);
    this.socket = net.connect(Number(port || 6379), hostname);
    this.socket.setEncoding('utf8');
    this.socket.write('MONITOR\r\n');
    this.socket.on('data', (chunk: string) => this.onData(chunk));
    this.socket.on('error', () => undefined);
    this.admin = net.connect(Number(port || 6379), hostname);
    this.admin.setEncoding('utf8');
    this.admin.on('data', (chunk: string) => this.onClientList(chunk));
    this.admin.on('error', () => undefined);
    // Connections come and go (BullMQ's blocking ones): learn their names as they live.
    this.timer = setInterval(() => this.admin.write('CLIENT LIST\r\n'), 500);
    this.admin.write('CLIENT LIST\r\n');
  }

  private onClientList(chunk: string): void {
    this.adminBuffer += chunk;
    const header = /^\$(\d+)\r\n/.exec(this.adminBuffer);
    if (!header) return;
    const length = Number(header[1]);
    const start = header[0].length;
    if (Buffer.byteLength(this.adminBuffer) < start + length + 2) return;
    const body = this.adminBuffer.slice(start, start + length);
    this.adminBuffer = this.adminBuffer.slice(start + length + 2);
    for (const line of body.split('\n')) {
      const addr = /\baddr=(\S+)/.exec(line)?.[1];
      const name = /\bname=(\S*)/.exec(line)?.[1];
      if (addr && name !== undefined) this.names.set(addr, name);
    }
    if (this.adminBuffer.length) this.onClientList('');
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\r\n')) !== -1) {
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      // +1796666014.084947 [0 127.0.0.1:54321] "evalsha" "…" …
      const match = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] "([^"]+)"/.exec(line);
      if (!match) continue;
      const [, addr, rawCommand] = match;
      const command = rawCommand!.toLowerCase();
      if (addr === 'lua') {
        if (line.includes(this.prefix)) this.scripts.set(command, (this.scripts.get(command) ?? 0) + 1);
        continue;
      }
      const counts = this.byAddress.get(addr!) ?? new Map<string, number>();
      counts.set(command, (counts.get(command) ?? 0) + 1);
      this.byAddress.set(addr!, counts);
    }
  }

  /** Cumulative counts: "command" for the nodes' own, "lua:command" for what their scripts ran. */
  sample(): Map<string, number> {
    const totals = new Map<string, number>();
    for (const [addr, counts] of this.byAddress) {
      if (!this.names.get(addr)?.startsWith(this.prefix)) continue;
      for (const [command, count] of counts) totals.set(command, (totals.get(command) ?? 0) + count);
    }
    for (const [command, count] of this.scripts) totals.set(`lua:${command}`, count);
    return totals;
  }

  close(): void {
    clearInterval(this.timer);
    this.socket.destroy();
    this.admin.destroy();
  }
}

/** Statements the nodes' sessions logged between two offsets of the Postgres log, by kind. */
function loggedStatements(path: string, from: number, to: number, databaseName: string): Map<string, number> {
  const counts = new Map<string, number>();
  const length = to - from;
  if (length <= 0) return counts;
  const fd = openSync(path, 'r');
  const buffer = Buffer.alloc(length);
  try {
    readSync(fd, buffer, 0, length, from);
  } finally {
    closeSync(fd);
  }
  const marker = `@${databaseName} LOG:  `;
  const lines = buffer.toString('utf8').split('\n');
  for (const [index, line] of lines.entries()) {
    const at = line.indexOf(marker);
    if (at === -1) continue;
    const user = line.slice(line.lastIndexOf(' ', at) + 1, at);
    if (user === 'postgres') continue; // the bench's own connection (owner)
    const message = line.slice(at + marker.length);
    // "execute <name>: …" (a named statement), "execute <unnamed>: …", "statement: …" (simple query).
    const named = /^execute ([^:<]+):/.exec(message);
    let kind: string;
    if (named) kind = named[1]!;
    else if (message.startsWith('execute') || message.startsWith('statement')) {
      // A statement whose text starts on a new line continues on the log's next line.
      const text = (message.slice(message.indexOf(':') + 1).trim() || (lines[index + 1] ?? '')).trim().replace(/\s+/g, ' ');
      // Literals out, so that one statement with different values is one kind (the relay's cursor move).
      kind = text.replace(/'[^']*'/g, "'…'").replace(/\b\d+\b/g, 'N').slice(0, 60);
    } else continue; // parse/bind lines and others are not statements
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

export interface CostCounter {
  sample(): Promise<CountsSample>;
  delta(before: CountsSample, after: CountsSample): CountsDelta;
  /** Waits until pg_stat_database has caught up (after a level). */
  settle(): Promise<void>;
  close(): void;
}

/** One statement on the product database as its owner (not logged: only the nodes' role is). */
async function withProductDb<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** For the bench's own cluster, whose nodes log their statements (cluster.ts) and name their Redis connections with its prefix. */
export function startCostCounter(target: BenchTarget): CostCounter {
  const { databaseName, redisPrefix } = target;
  if (!databaseName || !redisPrefix) throw new Error('BENCH_COUNTS needs the bench\'s own cluster');
  const pgLog = process.env.BENCH_PG_LOG ?? DEFAULT_PG_LOG;
  let logReadable = true;
  try {
    readSync(openSync(pgLog, 'r'), Buffer.alloc(1), 0, 0, 0);
  } catch {
    logReadable = false;
    log(`counts: ${pgLog} is not readable; statements are not counted (BENCH_PG_LOG names the Postgres log)`);
  }
  const monitor = new RedisMonitor(REDIS_URL, redisPrefix);
  return {
    async sample() {
      const stats = await withAdmin(async (client) => {
        const { rows } = await client.query<Record<string, string>>(
          'SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted FROM pg_stat_database WHERE datname = $1',
          [databaseName],
        );
        return rows[0]!;
      });
      const bets = await withProductDb(target.databaseUrl!, async (client) => Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM bets')).rows[0]!.n));
      const wallet = target.walletUrl ? ((await (await fetch(`${target.walletUrl}/__stats`)).json()) as Record<string, Record<string, number>>) : {};
      const walletCalls = Object.values(wallet).reduce((sum, outcomes) => sum + Object.values(outcomes).reduce((a, b) => a + b, 0), 0);
      return {
        at: Date.now(),
        logOffset: logReadable ? statSync(pgLog).size : undefined,
        xactCommit: Number(stats.xact_commit),
        xactRollback: Number(stats.xact_rollback),
        tupInserted: Number(stats.tup_inserted),
        tupUpdated: Number(stats.tup_updated),
        tupDeleted: Number(stats.tup_deleted),
        walletCalls,
        bets,
        redis: monitor.sample(),
        syscw: target.nodePids.map((pid) => procCounter(pid, 'io', ['syscw'])),
        syscr: target.nodePids.map((pid) => procCounter(pid, 'io', ['syscr'])),
        switches: target.nodePids.map((pid) => procCounter(pid, 'status', ['voluntary_ctxt_switches', 'nonvoluntary_ctxt_switches'])),
      };
    },
    delta(before, after) {
      const redis = new Map<string, number>();
      for (const [command, count] of after.redis) {
        const diff = count - (before.redis.get(command) ?? 0);
        if (diff) redis.set(command, diff);
      }
      return {
        seconds: (after.at - before.at) / 1000,
        statements:
          before.logOffset !== undefined && after.logOffset !== undefined ? loggedStatements(pgLog, before.logOffset, after.logOffset, databaseName) : undefined,
        xactCommit: after.xactCommit - before.xactCommit,
        xactRollback: after.xactRollback - before.xactRollback,
        tupInserted: after.tupInserted - before.tupInserted,
        tupUpdated: after.tupUpdated - before.tupUpdated,
        tupDeleted: after.tupDeleted - before.tupDeleted,
        walletCalls: after.walletCalls - before.walletCalls,
        bets: after.bets - before.bets,
        redis,
        syscw: after.syscw.map((count, index) => count - (before.syscw[index] ?? 0)),
        syscr: after.syscr.map((count, index) => count - (before.syscr[index] ?? 0)),
        switches: after.switches.map((count, index) => count - (before.switches[index] ?? 0)),
      };
    },
    settle: async () => {
      await pause(SETTLE_MS);
    },
    close: () => monitor.close(),
  };
}

const total = (counts: number[]) => counts.reduce((a, b) => a + b, 0);
const sum = (counts: Map<string, number> | undefined) => (counts ? [...counts.values()].reduce((a, b) => a + b, 0) : undefined);

/**
 * One table: a column per second at idle, then per settled bet of each level (the level's
 * counts less what idle timers did over the same seconds), with the biggest items of
 * statements and Redis commands listed below it.
 */
export function countsReport(nodeNames: string[], idle: CountsDelta | undefined, levels: { label: string; counts: CountsDelta }[]): string[] {
  const columns = [
    ...(idle ? [{ name: 'idle, per s', counts: idle, per: idle.seconds, subtract: undefined as CountsDelta | undefined }] : []),
    ...levels.map((level) => ({ name: `${level.label}, per bet (${level.counts.bets} bets)`, counts: level.counts, per: level.counts.bets, subtract: idle })),
  ];
  // What idle timers do over a level's seconds is not the bets' cost.
  const value = (pick: (counts: CountsDelta) => number | undefined, column: (typeof columns)[number]) => {
    const own = pick(column.counts);
    if (own === undefined) return 'n/a';
    const idleShare = column.subtract ? ((pick(column.subtract) ?? 0) / column.subtract.seconds) * column.counts.seconds : 0;
    return fmt((own - idleShare) / Math.max(1, column.per), 2);
  };
  const rows: [string, (counts: CountsDelta) => number | undefined][] = [
    ['Postgres statements (nodes)', (counts) => sum(counts.statements)],
    ['commits', (counts) => counts.xactCommit],
    ['rollbacks', (counts) => counts.xactRollback],
    ['rows inserted', (counts) => counts.tupInserted],
    ['rows updated', (counts) => counts.tupUpdated],
    ['rows deleted', (counts) => counts.tupDeleted],
    ['wallet calls', (counts) => counts.walletCalls],
    ['Redis commands (nodes)', (counts) => sum(new Map([...counts.redis].filter(([command]) => !command.startsWith('lua:'))))],
    ['Redis commands in scripts', (counts) => sum(new Map([...counts.redis].filter(([command]) => command.startsWith('lua:'))))],
    ['node write syscalls', (counts) => total(counts.syscw)],
    ['node read syscalls', (counts) => total(counts.syscr)],
    ['node context switches', (counts) => total(counts.switches)],
    // Each node's share (BENCH_NODE_ROOTS compares two versions under one load); the load is split evenly.
    ...nodeNames.flatMap((name, index): [string, (counts: CountsDelta) => number | undefined][] => [
      [`  ${name} write syscalls`, (counts) => counts.syscw[index]],
      [`  ${name} context switches`, (counts) => counts.switches[index]],
    ]),
  ];
  const report = [
    '',
    `counts (BENCH_COUNTS=1): per second at idle, and per bet placed in each level less the idle rate over its ${columns.at(-1)?.counts.seconds.toFixed(0) ?? '?'} s (level + ${SETTLE_MS / 1000} s settling):`,
    table(
      ['', ...columns.map((column) => column.name)],
      rows.map(([name, pick]) => [name, ...columns.map((column) => value(pick, column))]),
    ),
  ];
  const detail = (what: string, pick: (counts: CountsDelta) => Map<string, number> | undefined) => {
    const kinds = new Set(columns.flatMap((column) => [...(pick(column.counts)?.keys() ?? [])]));
    const ranked = [...kinds].sort((a, b) => (pick(columns.at(-1)!.counts)?.get(b) ?? 0) - (pick(columns.at(-1)!.counts)?.get(a) ?? 0));
    report.push('');
    report.push(`${what}, by kind:`);
    report.push(
      table(
        ['kind', ...columns.map((column) => column.name)],
        ranked.map((kind) => [kind, ...columns.map((column) => value((counts) => pick(counts)?.get(kind) ?? 0, column))]),
      ),
    );
  };
  detail('Postgres statements', (counts) => counts.statements);
  detail('Redis commands', (counts) => counts.redis);
  return report;
}
