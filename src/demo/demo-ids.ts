import { walletTransactionId } from '../modules/wallet/transaction-ids.ts';

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
  /** player-8's session, and the bet on it whose credit the wallet mock refuses: the outbox's parked credit, and its round. */
  outboxSessionToken: '00000000-0000-4000-8000-000000000103',
  outboxBetId: '00000000-0000-4000-8000-000000000203',
  outboxRoundId: '00000000-0000-4000-8000-000000000204',
  /** The webhook delivery of the demo bet's bet.placed event (demo-casino-alpha's webhook is `npm start`'s receiver). */
  deliveryId: '00000000-0000-4000-8000-000000000301',
} as const;

// Not player-42, the README session's player: the demo bet would move that player's nonce.
export const DEMO_PLAYER = 'player-7';

/** The demo bet's request: the `POST /bets` example replays it (same Idempotency-Key, same body). */
export const DEMO_BET_REQUEST = { sessionToken: DEMO_IDS.sessionToken, amount: 1000, game: 'dice', params: { target: 50, direction: 'under' as const } };
export const DEMO_BET_IDEMPOTENCY_KEY = `bet-${DEMO_IDS.sessionToken}`;

/**
 * The outbox's demo: a bet of player-8 that wins (its server seed is fixed, so its roll is
 * known: 40.18, under 50) and whose credit the wallet mock is told to refuse
 * (WALLET_REFUSED_CREDITS), so it stays parked (credit_parked) and POST /outbox/{id}/retry
 * can retry it again and again. Its own player: a parked bet holds its player's seed rotation.
 */
export const DEMO_OUTBOX_PLAYER = 'player-8';
export const DEMO_OUTBOX_SERVER_SEED = '553861d2e8379a76ab338d3c74b26b61d82e30d47548e7958bb06a5bcd44ea21';
export const DEMO_OUTBOX_CLIENT_SEED = 'demo-outbox';
export const DEMO_OUTBOX_BET_REQUEST = { sessionToken: DEMO_IDS.outboxSessionToken, amount: 1000, game: 'dice', params: { target: 50, direction: 'under' as const } };
export const DEMO_OUTBOX_BET_IDEMPOTENCY_KEY = `bet-${DEMO_IDS.outboxSessionToken}`;
/** The credit the wallet mock refuses. */
export const DEMO_REFUSED_CREDIT = walletTransactionId(DEMO_IDS.outboxBetId, 'credit');

/** demo-casino-alpha's webhook secret: `npm start`'s receiver (scripts/demo-webhook-receiver.ts) gets signed events. */
export const DEMO_WEBHOOK_SECRET = 'demo-webhook-secret-LOCAL-ONLY';
