/**
 * DEMO ONLY — the fixed ids of the records `npm start` seeds for its demo operator
 * (src/demo/demo-data.ts), so that the OpenAPI document's examples (src/http/openapi/examples.ts)
 * name records that exist and "Try it out" on /docs works as filled in. Like the demo keys,
 * they exist only in a local `npm start` database, never in production.
 */
export const DEMO_IDS = {
  /** player-7's session: verify, bets, seed rotation. */
  sessionToken: '00000000-0000-4000-8000-000000000101',
  /** A second session of player-7, the one the revoke example revokes (revoking it again answers it unchanged). */
  spareSessionToken: '00000000-0000-4000-8000-000000000102',
  /** The bet placed on the session, and its round. */
  betId: '00000000-0000-4000-8000-000000000201',
  roundId: '00000000-0000-4000-8000-000000000202',
} as const;

// Not player-42, the README session's player: the demo bet would move that player's nonce.
export const DEMO_PLAYER = 'player-7';

/** The demo bet's request: the `POST /bets` example replays it (same Idempotency-Key, same body). */
export const DEMO_BET_REQUEST = { sessionToken: DEMO_IDS.sessionToken, amount: 1000, game: 'dice', params: { target: 50, direction: 'under' as const } };
export const DEMO_BET_IDEMPOTENCY_KEY = `bet-${DEMO_IDS.sessionToken}`;
