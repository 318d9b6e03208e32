import type { Queryable } from '../../shared/db.ts';
import type { PatchOperatorInput } from './schemas.ts';

export interface OperatorRow {
  id: string;
  name: string;
  wallet_url: string | null;
  wallet_secret: string | null;
  webhook_url: string | null;
  webhook_secret: string | null;
  rate_limit_per_second: number | null;
  created_at: Date;
  updated_at: Date;
}

/** An operator's settings as stored: the secrets sealed already. */
export type OperatorSettings = PatchOperatorInput;

// ── operators ────────────────────────────────────────────────────────────────

/** The operator whose API key hashes to `apiKeyHash` (the authentication lookup). */
export async function findOperatorByKeyHash(db: Queryable, apiKeyHash: string): Promise<OperatorRow | undefined> {
  return (await db.query<OperatorRow>('SELECT * FROM operators WHERE api_key_hash = $1', [apiKeyHash])).rows[0];
}

export async function findOperatorById(db: Queryable, id: string): Promise<OperatorRow | undefined> {
  return (await db.query<OperatorRow>('SELECT * FROM operators WHERE id = $1', [id])).rows[0];
}

/** Every operator's id. */
export async function selectOperatorIds(db: Queryable): Promise<string[]> {
  return (await db.query<{ id: string }>('SELECT id FROM operators')).rows.map((row) => row.id);
}

/** Every operator, oldest first. */
export async function selectOperators(db: Queryable): Promise<OperatorRow[]> {
  return (await db.query<OperatorRow>('SELECT * FROM operators ORDER BY created_at, id')).rows;
}

/** Inserts an operator; a duplicate name fails with Postgres' unique violation (23505). */
export async function insertOperator(
  db: Queryable,
  operator: { id: string; name: string; apiKeyHash: string } & Omit<OperatorSettings, 'name'>,
): Promise<void> {
  await db.query(
    `INSERT INTO operators (id, name, api_key_hash, wallet_url, wallet_secret, webhook_url, webhook_secret, rate_limit_per_second)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      operator.id,
      operator.name,
      operator.apiKeyHash,
      operator.walletUrl ?? null,
      operator.walletSecret ?? null,
      operator.webhookUrl ?? null,
      operator.webhookSecret ?? null,
      operator.rateLimitPerSecond ?? null,
    ],
  );
}

/**
 * Locks the operator's row (FOR UPDATE, until the transaction ends) and says which wallet
 * settings it has, so a change can be judged on the settings as they will be after it.
 */
export async function lockOperatorWalletSettings(
  db: Queryable,
  id: string,
): Promise<{ wallet_url_set: boolean; wallet_secret_set: boolean } | undefined> {
  const { rows } = await db.query<{ wallet_url_set: boolean; wallet_secret_set: boolean }>(
    'SELECT wallet_url IS NOT NULL AS wallet_url_set, wallet_secret IS NOT NULL AS wallet_secret_set FROM operators WHERE id = $1 FOR UPDATE',
    [id],
  );
  return rows[0];
}

const settingColumns: Record<keyof OperatorSettings, string> = {
  name: 'name',
  walletUrl: 'wallet_url',
  walletSecret: 'wallet_secret',
  webhookUrl: 'webhook_url',
  webhookSecret: 'webhook_secret',
  rateLimitPerSecond: 'rate_limit_per_second',
};

/**
 * Sets the settings given (an undefined one is left as it is, a null one cleared) and
 * returns the row, or undefined when there is no such operator. A duplicate name fails
 * with Postgres' unique violation (23505).
 */
export async function updateOperatorSettings(db: Queryable, id: string, settings: OperatorSettings): Promise<OperatorRow | undefined> {
  const fields = (Object.keys(settingColumns) as (keyof OperatorSettings)[]).filter((field) => settings[field] !== undefined);
  const sets = fields.map((field, index) => `${settingColumns[field]} = $${index + 2}`);
  const { rows } = await db.query<OperatorRow>(
    `UPDATE operators SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1 RETURNING *`,
    [id, ...fields.map((field) => settings[field])],
  );
  return rows[0];
}

/** Replaces the operator's API key hash; false when there is no such operator. */
export async function updateOperatorKeyHash(db: Queryable, id: string, apiKeyHash: string): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE operators SET api_key_hash = $2, updated_at = now() WHERE id = $1', [id, apiKeyHash]);
  return rowCount !== 0;
}

/** Inserts the operator with this key hash, or resets an existing one's key hash to it. */
export async function upsertOperatorKeyHash(db: Queryable, operator: { id: string; name: string; apiKeyHash: string }): Promise<void> {
  await db.query(
    `INSERT INTO operators (id, name, api_key_hash) VALUES ($1, $2, $3)
     ON CONFLICT (id) DO UPDATE SET api_key_hash = EXCLUDED.api_key_hash, updated_at = now()`,
    [operator.id, operator.name, operator.apiKeyHash],
  );
}
