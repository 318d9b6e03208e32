import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../src/shared/db.ts';
import { rollDice } from '../../src/games/dice/dice.ts';
import type { LedgerItem } from '../../walletmock/ledger.ts';
import type { operatorClient } from './http.ts';
import { serverSeedOf } from './secrets.ts';

type Client = ReturnType<typeof operatorClient>;

export const FINAL = new Set(['won', 'lost', 'rejected', 'cancelled']);

export async function launch(client: Client, playerId: string, currency = 'EUR', jurisdiction = 'MT'): Promise<string> {
  const launched = await client.post('/sessions/launch', { playerId, currency, jurisdiction });
  if (launched.status !== 201) throw new Error(`launch failed: ${launched.status} ${JSON.stringify(launched.body)}`);
  return launched.body.sessionToken;
}

/**
 * Dice params that make the player's NEXT bet win (or lose), read from the server seed in
 * the test's own database: tests of settlement need to know which way a bet goes.
 */
export async function paramsFor(db: Queryable, operatorId: string, playerId: string, want: 'win' | 'lose') {
  const { rows } = await db.query('SELECT id, server_seed, client_seed, next_nonce FROM seed_pairs WHERE operator_id = $1 AND player_id = $2 AND active', [
    operatorId,
    playerId,
  ]);
  const { roll } = rollDice(serverSeedOf(rows[0]), rows[0].client_seed, Number(rows[0].next_nonce));
  if (want === 'win') return roll < 98 ? { target: 98, direction: 'under' } : { target: 2, direction: 'over' };
  return roll >= 0.01 ? { target: 0.01, direction: 'under' } : { target: 99.99, direction: 'over' };
}

export function placeBet(client: Client, sessionToken: string, amount: number, params: unknown, key: string = randomUUID()) {
  return client.post('/bets', { sessionToken, amount, game: 'dice', params }, { headers: { 'idempotency-key': key } });
}

/** Polls GET /bets/:id until the bet is in one of `statuses` (default: final). */
export async function waitForBet(client: Client, betId: string, statuses: Set<string> = FINAL, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await client.get(`/bets/${betId}`);
    if (statuses.has(answer.body.status)) return answer.body;
    if (Date.now() > deadline) throw new Error(`bet ${betId} stayed ${answer.body.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Sets the wallet mock's faults (SPEC §6 PUT /__faults). */
export async function setFaults(walletUrl: string, faults: Record<string, unknown>): Promise<void> {
  const answer = await fetch(`${walletUrl}/__faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(faults) });
  if (answer.status !== 200) throw new Error(`faults not set: ${answer.status} ${await answer.text()}`);
}

/** The wallet mock's ledger (SPEC §6 GET /__ledger), of one player and/or one operator if given. */
export async function ledger(walletUrl: string, playerId?: string, operatorId?: string): Promise<LedgerItem[]> {
  const query = new URLSearchParams({ ...(playerId && { playerId }), ...(operatorId && { operatorId }) });
  const answer = await fetch(`${walletUrl}/__ledger?${query}`);
  return ((await answer.json()) as { items: LedgerItem[] }).items;
}

/** A player's balance in the wallet mock: its wallets are per (operator, player). */
export async function balance(walletUrl: string, operatorId: string, playerId: string, currency = 'EUR'): Promise<number> {
  const answer = await fetch(`${walletUrl}/wallet/balance/${encodeURIComponent(playerId)}?${new URLSearchParams({ currency, operatorId })}`);
  if (answer.status !== 200) throw new Error(`balance not read: ${answer.status} ${await answer.text()}`);
  return ((await answer.json()) as { balance: number }).balance;
}

/** Sets a player's state in the wallet mock (PUT /__players/:playerId). */
export async function setPlayer(walletUrl: string, operatorId: string, playerId: string, patch: Record<string, unknown>): Promise<void> {
  const answer = await fetch(`${walletUrl}/__players/${encodeURIComponent(playerId)}?${new URLSearchParams({ operatorId })}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(patch),
  });
  if (answer.status !== 200) throw new Error(`player not set: ${answer.status} ${await answer.text()}`);
}
