import type { Queryable } from './db.ts';
import { SecretUnsealError, type SecretsKeyring } from './secrets-keyring.ts';

/** One column that holds sealed values (secrets-keyring.ts), and which of its rows must be sealed. */
export interface SealedColumn {
  table: string;
  column: string;
  /** SQL condition on the rows whose value must be sealed (e.g. only unrevealed seed pairs). */
  scope: string;
  /** The context a row's value is sealed for. */
  context(id: string): string;
}

export interface ResealResult {
  resealed: number;
  /** Values that no configured key opens; they are left as they are. */
  unopenable: number;
}

/**
 * Seals again, batch by batch, the values of `column` that are in clear (mode `clear`:
 * rows from before migration 0007) or not sealed under the current key (mode
 * `not-current`: after SECRETS_KEY changed). Idempotent: a second run finds nothing.
 * Each batch is one UPDATE that writes a row only if its value is still the one read,
 * so a value changed meanwhile (a rotation revealing a seed, an admin setting a new
 * secret, another node sealing it first) is left to whoever changed it. Rows are walked
 * in id order, so a run ends even when some values cannot be opened.
 */
export async function resealColumn(
  db: Queryable,
  keyring: SecretsKeyring,
  target: SealedColumn,
  options: { mode: 'clear' | 'not-current'; batchSize: number },
): Promise<ResealResult> {
  const settled = options.mode === 'clear' ? 'v1:%' : `v1:${keyring.currentKeyId}:%`;
  const select = `SELECT id, ${target.column} AS value FROM ${target.table}
    WHERE (${target.scope}) AND ${target.column} IS NOT NULL AND ${target.column} NOT LIKE $1 AND ($2::uuid IS NULL OR id > $2)
    ORDER BY id LIMIT $3`;
  const update = `UPDATE ${target.table} t SET ${target.column} = u.sealed
    FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(id, old, sealed)
    WHERE t.id = u.id AND t.${target.column} = u.old`;
  const result: ResealResult = { resealed: 0, unopenable: 0 };
  let after: string | null = null;
  for (;;) {
    const page: { rows: { id: string; value: string }[] } = await db.query(select, [settled, after, options.batchSize]);
    const rows = page.rows;
    if (rows.length === 0) return result;
    after = rows[rows.length - 1]!.id;
    const ids: string[] = [];
    const olds: string[] = [];
    const sealed: string[] = [];
    for (const row of rows) {
      const context = target.context(row.id);
      let plaintext: string;
      try {
        // Anything not in the sealed format is a value from before sealing: clear text.
        plaintext = keyring.isSealed(row.value) ? keyring.open(row.value, context) : row.value;
      } catch (error) {
        if (!(error instanceof SecretUnsealError)) throw error;
        result.unopenable++;
        continue;
      }
      ids.push(row.id);
      olds.push(row.value);
      sealed.push(keyring.seal(plaintext, context));
    }
    if (ids.length > 0) result.resealed += (await db.query(update, [ids, olds, sealed])).rowCount ?? 0;
  }
}
