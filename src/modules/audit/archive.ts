import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import type { Db, DbClient } from '../../shared/db.ts';

// `npm run audit:archive -- --before YYYY-MM --out DIR` (issue #21): each closed month of
// audit_log before YYYY-MM is written to DIR as gzip NDJSON (one row as JSON per line, in id
// order) with a manifest (file name, rows, first/last id, SHA-256 of the file), read back
// and checked against the manifest and the partition, and only then detached from
// audit_log and moved to the schema `audit_archive`, which the nodes cannot reach. Nothing
// is dropped: docs/operations.md says when the detached table may go. Runs as the owner
// (DATABASE_URL). A month already detached is not a partition any more, so a second run
// does nothing for it; a run stopped before the detach writes the month again.

/** Where detached months go: a schema the application role has no USAGE on. */
export const ARCHIVE_SCHEMA = 'audit_archive';
const FETCH_ROWS = 5_000;

/** A bad argument: the tool says why, exits non-zero, and changes nothing. */
export class ArchiveInputError extends Error {}

export interface ArchiveArgs {
  /** The first month not archived: UTC, 'YYYY-MM'. */
  before: string;
  outDir: string;
}

/** The manifest written beside each month's file. */
export interface ArchiveManifest {
  table: 'audit_log';
  month: string;
  file: string;
  rows: number;
  /** Ids as strings: bigint identities. Null when the month had no rows. */
  firstId: string | null;
  lastId: string | null;
  sha256: string;
}

interface MonthPartition {
  name: string;
  month: string;
  lo: string;
  hi: string;
}

/** Checks the arguments (`now` decides which months are closed). */
export async function checkArchiveArgs(args: { before?: string | undefined; out?: string | undefined }, now = new Date()): Promise<ArchiveArgs> {
  const { before, out } = args;
  if (before === undefined || !/^\d{4}-(0[1-9]|1[0-2])$/.test(before)) {
    throw new ArchiveInputError(`--before takes a month as YYYY-MM (the first month kept attached), got ${before === undefined ? 'nothing' : JSON.stringify(before)}`);
  }
  const current = now.toISOString().slice(0, 7);
  if (before > current) throw new ArchiveInputError(`--before ${before} is after the current month (${current}, UTC): only closed months are archived`);
  if (out === undefined || out === '') throw new ArchiveInputError('--out takes the directory the files go to');
  const found = await stat(out).catch(() => undefined);
  if (!found?.isDirectory()) throw new ArchiveInputError(`--out ${out} is not an existing directory`);
  return { before, outDir: out };
}

/** audit_log's monthly partitions that end on or before the first day of `before`, oldest first. */
async function closedMonths(client: DbClient, before: string): Promise<MonthPartition[]> {
  const { rows } = await client.query<MonthPartition>(
    `SELECT name, to_char(lo AT TIME ZONE 'UTC', 'YYYY-MM') AS month, lo::text AS lo, hi::text AS hi FROM (
       SELECT c.relname AS name,
              substring(pg_get_expr(c.relpartbound, c.oid) FROM 'FROM \\(''([^'']+)''\\)')::timestamptz AS lo,
              substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \\(''([^'']+)''\\)')::timestamptz AS hi
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'public.audit_log'::regclass
          AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT') p
      WHERE hi <= ($1 || '-01 00:00:00+00')::timestamptz
      ORDER BY lo`,
    [before],
  );
  return rows;
}

/** Writes the month's rows to `file` (gzip NDJSON, id order); returns the manifest's figures. */
async function writeMonth(client: DbClient, partition: MonthPartition, file: string): Promise<Omit<ArchiveManifest, 'table' | 'month' | 'file'>> {
  const hash = createHash('sha256');
  let rows = 0;
  let firstId: string | null = null;
  let lastId: string | null = null;
  // One snapshot for the whole month, read in batches through a cursor.
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    await client.query(`DECLARE month_rows NO SCROLL CURSOR FOR SELECT id::text AS id, row_to_json(a)::text AS line FROM public.${client.escapeIdentifier(partition.name)} a ORDER BY id`);
    async function* lines() {
      for (;;) {
        const batch = await client.query<{ id: string; line: string }>(`FETCH ${FETCH_ROWS} FROM month_rows`);
        for (const row of batch.rows) {
          rows += 1;
          firstId ??= row.id;
          lastId = row.id;
          yield `${row.line}\n`;
        }
        if (batch.rows.length < FETCH_ROWS) return;
      }
    }
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(Readable.from(lines()), createGzip(), hashing, createWriteStream(file));
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return { rows, firstId, lastId, sha256: hash.digest('hex') };
}

/** Reads `file` back: its SHA-256, its rows, their first and last ids (ids must ascend). */
async function readBack(file: string): Promise<{ sha256: string; rows: number; firstId: string | null; lastId: string | null }> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) hash.update(chunk);
  });
  let rows = 0;
  let firstId: string | null = null;
  let lastId: string | null = null;
  for await (const line of createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity })) {
    const id = String((JSON.parse(line) as { id: number | string }).id);
    if (lastId !== null && BigInt(id) <= BigInt(lastId)) throw new Error(`${file}: id ${id} after ${lastId}: not in id order`);
    rows += 1;
    firstId ??= id;
    lastId = id;
  }
  return { sha256: hash.digest('hex'), rows, firstId, lastId };
}

/** Detaches the month from audit_log into ARCHIVE_SCHEMA, still refusing UPDATE, DELETE and TRUNCATE. */
async function detachMonth(client: DbClient, partition: MonthPartition): Promise<void> {
  const name = client.escapeIdentifier(partition.name);
  await client.query('BEGIN');
  try {
    await client.query(`ALTER TABLE public.audit_log DETACH PARTITION public.${name}`);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${ARCHIVE_SCHEMA}`);
    await client.query(`ALTER TABLE public.${name} SET SCHEMA ${ARCHIVE_SCHEMA}`);
    // The row trigger was audit_log's (it goes with the detach); the TRUNCATE one is the table's own.
    await client.query(
      `CREATE OR REPLACE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON ${ARCHIVE_SCHEMA}.${name}
         FOR EACH ROW EXECUTE FUNCTION public.audit_log_append_only()`,
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Archives every closed month before `args.before` (see the top of this file). Checks every
 * month before it touches any: a month whose rows partly sit in audit_log's default
 * partition is refused (ArchiveInputError), as its file would miss them.
 */
export async function archiveAuditMonths(db: Db, args: ArchiveArgs): Promise<ArchiveManifest[]> {
  const client = await db.connect();
  try {
    // row_to_json writes timestamps in the session's time zone: always UTC in the files.
    await client.query("SET TIME ZONE 'UTC'");
    const months = await closedMonths(client, args.before);
    for (const month of months) {
      const { rows } = await client.query<{ stray: boolean }>(
        'SELECT EXISTS (SELECT 1 FROM public.audit_log_default WHERE created_at >= $1 AND created_at < $2) AS stray',
        [month.lo, month.hi],
      );
      if (rows[0]?.stray) {
        throw new ArchiveInputError(`audit rows of ${month.month} sit in audit_log_default; move them into a partition of their month first (docs/operations.md)`);
      }
    }
    const archived: ArchiveManifest[] = [];
    for (const month of months) {
      const file = `audit_log-${month.month}.ndjson.gz`;
      const target = path.join(args.outDir, file);
      const manifestPath = path.join(args.outDir, `audit_log-${month.month}.manifest.json`);
      // Written under temporary names, renamed once complete: a file under its own name is whole.
      await writeMonth(client, month, `${target}.partial`).then(async (figures) => {
        await rename(`${target}.partial`, target);
        const manifest: ArchiveManifest = { table: 'audit_log', month: month.month, file, ...figures };
        await writeFile(`${manifestPath}.partial`, `${JSON.stringify(manifest, null, 2)}\n`);
        await rename(`${manifestPath}.partial`, manifestPath);
      });
      const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as ArchiveManifest;
      const onDisk = await readBack(target);
      const { rows } = await client.query<{ rows: string; first_id: string | null; last_id: string | null }>(
        `SELECT count(*) AS rows, min(id)::text AS first_id, max(id)::text AS last_id FROM public.${client.escapeIdentifier(month.name)}`,
      );
      const inTable = { rows: Number(rows[0]!.rows), firstId: rows[0]!.first_id, lastId: rows[0]!.last_id };
      const mismatch = (
        [
          ['sha256', onDisk.sha256, manifest.sha256],
          ['rows (file/manifest)', onDisk.rows, manifest.rows],
          ['rows (file/partition)', onDisk.rows, inTable.rows],
          ['first id (file/manifest)', onDisk.firstId, manifest.firstId],
          ['first id (file/partition)', onDisk.firstId, inTable.firstId],
          ['last id (file/manifest)', onDisk.lastId, manifest.lastId],
          ['last id (file/partition)', onDisk.lastId, inTable.lastId],
        ] as const
      ).filter(([, a, b]) => a !== b);
      if (mismatch.length > 0) {
        throw new Error(`${file} does not match: ${mismatch.map(([what, a, b]) => `${what} ${a} ≠ ${b}`).join(', ')}; ${month.name} stays attached`);
      }
      await detachMonth(client, month);
      archived.push(manifest);
    }
    return archived;
  } finally {
    client.release();
  }
}
