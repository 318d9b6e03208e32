import { parseArgs } from 'node:util';
import { env } from '../src/config/env.ts';
import { openDb } from '../src/shared/db.ts';
import { ArchiveInputError, archiveAuditMonths, checkArchiveArgs } from '../src/modules/audit/archive.ts';

// `npm run audit:archive -- --before YYYY-MM --out DIR` (issue #21): archives each closed
// month of audit_log before YYYY-MM to DIR and detaches it (src/modules/audit/archive.ts,
// docs/operations.md). As the owner (DATABASE_URL). Exit 2: bad arguments, nothing changed;
// exit 1: a month failed (the months before it are archived, it and later ones are not).

let args;
try {
  const { values } = parseArgs({ options: { before: { type: 'string' }, out: { type: 'string' } }, strict: true, allowPositionals: false });
  args = await checkArchiveArgs(values);
} catch (error) {
  console.error(`audit:archive: ${(error as Error).message}`);
  console.error('usage: npm run audit:archive -- --before YYYY-MM --out DIR');
  process.exit(2);
}

const db = await openDb(env.DATABASE_URL, 1);
try {
  const archived = await archiveAuditMonths(db, args);
  for (const manifest of archived) console.log(JSON.stringify(manifest));
  console.log(JSON.stringify({ archived: archived.length, before: args.before, out: args.outDir }));
} catch (error) {
  console.error(`audit:archive: ${(error as Error).message}`);
  process.exitCode = error instanceof ArchiveInputError ? 2 : 1;
} finally {
  await db.end();
}
