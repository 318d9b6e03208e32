import type { Queryable } from './db.ts';
import { SecretUnsealError, type SecretsKeyring } from './secrets-keyring.ts';

/** A table whose columns hold sealed values (secrets-keyring.ts), and which of its rows must be sealed. */
export interface SealedTable {
  table: string;
  /** SQL condition on the rows whose values must be sealed (e.g. only unrevealed seed pairs). */
  scope: string;
  /** Each sealed column, with the context a row's value in it is sealed for. */
  columns: Record<string, (id: string) => string>;
}

export interface ResealResult {
  /** Values sealed again (or sealed for the first time, when they were in clear). */
  resealed: number;
  /** Values that no configured key opens; they are left as they are. */
  unopenable: number;
}

/**
 * Seals again, batch by batch, the values of `target` that are in clear (mode `clear`:
 * rows from before migration 0007) or not sealed under the current key (mode
 * `not-current`: after SECRETS_KEY changed). Idempotent: a second run finds nothing.
 *
 * All sealed columns of a row are written by one UPDATE (migration 0007's constraints
 * check the whole row), and only if every value is still the one read, so a value changed
 * meanwhile (a rotation revealing a seed, an admin setting a new secret, another node
 * sealing it first) is left to whoever changed it. Rows are walked in id order, so a run
 * ends even when some values cannot be opened.
 */
export async function resealTable(
  db: Queryable,
  keyring: SecretsKeyring,
  target: SealedTable,
  options: { mode: 'clear' | 'not-current'; batchSize: number },
): Promise<ResealResult> {
  // A value that starts so is left as it is.
  const settled = options.mode === 'clear' ? 'v1:' : `v1:${keyring.currentKeyId}:`;
  const columns = Object.keys(target.columns);
  const select = `SELECT id, ${columns.join(', ')} FROM ${target.table}
    WHERE (${target.scope}) AND (${columns.map((column) => `${column} NOT LIKE $1`).join(' OR ')}) AND ($2::uuid IS NULL OR id > $2)
    ORDER BY id LIMIT $3`;
  // unnest($1: ids, then per column its old values and its new ones).
  const update = `UPDATE ${target.table} t SET ${columns.map((column, index) => `${column} = u.new${index}`).join(', ')}
    FROM unnest($1::uuid[], ${columns.map((_, index) => `$${2 * index + 2}::text[], $${2 * index + 3}::text[]`).join(', ')})
      AS u(id, ${columns.map((_, index) => `old${index}, new${index}`).join(', ')})
    WHERE t.id = u.id AND ${columns.map((column, index) => `t.${column} IS NOT DISTINCT FROM u.old${index}`).join(' AND ')}
    RETURNING t.id`;

  const result: ResealResult = { resealed: 0, unopenable: 0 };
  // Opens and seals one value again; a value no key opens is kept (and counted).
  const resealed = (old: string, context: string): string => {
    try {
      // Anything not in the sealed format is a value from before sealing: clear text.
      return keyring.seal(keyring.isSealed(old) ? keyring.open(old, context) : old, context);
    } catch (error) {
      if (!(error instanceof SecretUnsealError)) throw error;
      result.unopenable++;
      return old;
    }
  };

  let after: string | null = null;
  for (;;) {
    const page: { rows: Record<string, string | null>[] } = await db.query(select, [`${settled}%`, after, options.batchSize]);
    if (page.rows.length === 0) return result;
    after = page.rows[page.rows.length - 1]!.id!;
    const ids: string[] = [];
    const values: (string | null)[][] = columns.flatMap(() => [[], []]);
    const changes = new Map<string, number>();
    for (const row of page.rows) {
      const id = row.id!;
      ids.push(id);
      columns.forEach((column, index) => {
        const old = row[column] ?? null;
        const next = old === null || old.startsWith(settled) ? old : resealed(old, target.columns[column]!(id));
        if (next !== old) changes.set(id, (changes.get(id) ?? 0) + 1);
        values[2 * index]!.push(old);
        values[2 * index + 1]!.push(next);
      });
    }
    if (changes.size === 0) continue;
    try {
      const { rows } = await db.query<{ id: string }>(update, [ids, ...values]);
      for (const { id } of rows) result.resealed += changes.get(id) ?? 0;
    } catch (error) {
      // Postgres' detail of a refused row lists its values, secrets in clear included: never pass it on.
      const { message, code } = error as { message: string; code?: string };
      throw Object.assign(new Error(`sealing ${target.table} failed: ${message}`), { code });
    }
  }
}
