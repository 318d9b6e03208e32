import type { Queryable } from '../../src/shared/db.ts';

/** Polls `check` until it holds; throws naming `what` after `timeoutMs`. */
export async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Events of the operator the relay has yet to append (migration 0005's `unrelayed_events`). */
export async function unrelayedCount(db: Queryable, operatorId: string): Promise<number> {
  const { rows } = await db.query<{ count: string }>('SELECT count(*) FROM unrelayed_events WHERE operator_id = $1', [operatorId]);
  return Number(rows[0]?.count);
}

/** Waits until the relay has appended every committed event of the operator. */
export async function waitForRelay(db: Queryable, operatorId: string, timeoutMs = 20_000): Promise<void> {
  await waitUntil(async () => (await unrelayedCount(db, operatorId)) === 0, `the relay to append operator ${operatorId}'s events`, timeoutMs);
}
