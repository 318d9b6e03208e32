import { env } from '../config/env.ts';
import type { Services } from '../services.ts';
import { DEMO_OPERATORS } from '../modules/operators/demo-operators.ts';
import { findSessionStandingOf } from '../modules/sessions/service.ts';
import { createDeliveryWithId, enqueueDeliveries } from '../modules/webhooks/deliveries.ts';
import { logger } from '../shared/logger.ts';
import { diceWins, rollDice } from '../games/dice/dice.ts';
import {
  DEMO_BET_IDEMPOTENCY_KEY,
  DEMO_BET_REQUEST,
  DEMO_IDS,
  DEMO_OUTBOX_BET_IDEMPOTENCY_KEY,
  DEMO_OUTBOX_BET_REQUEST,
  DEMO_OUTBOX_CLIENT_SEED,
  DEMO_OUTBOX_PLAYER,
  DEMO_OUTBOX_SERVER_SEED,
  DEMO_PLAYER,
  DEMO_WEBHOOK_SECRET,
} from './demo-ids.ts';

// DEMO ONLY — what `npm start` (scripts/start-cluster.ts) seeds after the demo operators,
// so the document's examples name records that exist: player-7's session and a spare
// one, a bet on the session with its round, and player-8's won bet whose credit the
// wallet mock refuses (the outbox's parked credit), and the webhook delivery of the first
// bet's bet.placed event to `npm start`'s receiver. They are written by the product's own
// services (the wallet mock is debited, the audit trail and events are written), only
// with ids (and player-8's server seed) fixed in src/demo/demo-ids.ts. Seeding again
// finds them and adds nothing (demo-casino-alpha's webhook URL follows the receiver's port).

const [ALPHA] = DEMO_OPERATORS;

// Long enough that a demo database kept for months still has them active: "Try it out"
// with the example token must not turn into 403 SESSION_EXPIRED after the usual 4 hours.
const DEMO_SESSION_TTL_SECONDS = 365 * 24 * 3600;

/**
 * Seeds the demo records (idempotent). The wallet (`WALLET_URL`) must answer: the demo bets
 * are debited. It must refuse DEMO_REFUSED_CREDIT (the wallet mock's WALLET_REFUSED_CREDITS),
 * else the outbox's demo bet is paid and settles as won.
 */
export async function seedDemoData(services: Services, demo: { webhookUrl: string }): Promise<void> {
  if (env.NODE_ENV === 'production') throw new Error('demo data: refusing to seed with NODE_ENV=production');
  // Nothing is relayed here: the nodes relay what this writes once they start. So no relay
  // pass makes the demo event's delivery (with an id of its own) before the one below does.
  await services.relay.stop();
  const operator = await services.operators.authenticate(ALPHA.apiKey);
  if (!operator) throw new Error('demo data: seed the demo operators first');
  const em = services.orm.em.fork();
  // Before any demo event: the relay then gives each of them a delivery to the receiver.
  const current = await services.operators.get(em.fork(), operator.id);
  if (current.webhookUrl !== demo.webhookUrl || !current.webhookSecretSet) {
    await services.operators.update(em.fork(), operator.id, { webhookUrl: demo.webhookUrl, webhookSecret: DEMO_WEBHOOK_SECRET });
  }
  for (const token of [DEMO_IDS.sessionToken, DEMO_IDS.spareSessionToken]) {
    if (await findSessionStandingOf(em, operator.id, token)) continue;
    await services.sessions.launch(em.fork(), operator.id, { playerId: DEMO_PLAYER, currency: 'EUR', jurisdiction: 'MT' }, undefined, {
      token,
      ttlSeconds: DEMO_SESSION_TTL_SECONDS,
    });
  }
  // The outbox's demo bet must win, or there is no credit to park: its roll is known from its seeds.
  const { rollHundredths } = rollDice(DEMO_OUTBOX_SERVER_SEED, DEMO_OUTBOX_CLIENT_SEED, 0);
  if (!diceWins(rollHundredths, DEMO_OUTBOX_BET_REQUEST.params)) throw new Error('demo data: the outbox bet would not win with its fixed seeds');
  if (!(await findSessionStandingOf(em, operator.id, DEMO_IDS.outboxSessionToken))) {
    await services.sessions.launch(
      em.fork(),
      operator.id,
      { playerId: DEMO_OUTBOX_PLAYER, currency: 'EUR', jurisdiction: 'MT', clientSeed: DEMO_OUTBOX_CLIENT_SEED },
      undefined,
      { token: DEMO_IDS.outboxSessionToken, ttlSeconds: DEMO_SESSION_TTL_SECONDS, serverSeed: DEMO_OUTBOX_SERVER_SEED },
    );
  }
  // A second time, the Idempotency-Key finds the bet placed the first time.
  await services.bets.place(operator.id, operator.games, DEMO_BET_REQUEST, DEMO_BET_IDEMPOTENCY_KEY, { betId: DEMO_IDS.betId, roundId: DEMO_IDS.roundId });
  await services.bets.place(operator.id, operator.games, DEMO_OUTBOX_BET_REQUEST, DEMO_OUTBOX_BET_IDEMPOTENCY_KEY, {
    betId: DEMO_IDS.outboxBetId,
    roundId: DEMO_IDS.outboxRoundId,
  });
  // Its settlement may go on after the answer (202); let it finish here.
  await services.bets.drain();
  const delivery = { id: DEMO_IDS.deliveryId, operatorId: operator.id, betId: DEMO_IDS.betId, type: 'bet.placed' };
  // Its first attempt is sent by a node once they start (a new delivery is due now).
  if (await createDeliveryWithId(services.db, delivery)) await enqueueDeliveries(services.enqueuer, [delivery.id], logger);
}
